"""Engines as the process loop sees them: poll, tick, finish, and answer control requests."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from smartnic.dataplane.edge import EdgeEngine
from smartnic.dataplane.host_engine import HostEngine
from smartnic.telemetry.flowlogs import FlowLogRecord


class HostProcess:
    def __init__(self, engine: HostEngine) -> None:
        self.engine = engine

    def poll(self) -> int:
        return self.engine.poll()

    def tick(self) -> Iterable[FlowLogRecord]:
        return self.engine.tick_pending()

    def finish(self) -> list[FlowLogRecord]:
        ctx = self.engine.ctx
        return ctx.flowlogs.flush(ctx.clock.now())

    def report(self, request: dict[str, Any]) -> dict[str, Any]:
        engine = self.engine
        local = [e.id for e in engine.ctx.program.enis_on(engine.host_id)]
        base = {"host": engine.host_id, "pid": os.getpid(),
                "generation": engine.ctx.program.generation}
        if request.get("op") == "counters":
            return base | {
                "enis": {eni: engine.eni_counters(eni) for eni in local},
                "engine": engine.ctx.counters.of("engine"),
                "flow_cache": {"entries": len(engine.flows), "hits": engine.flows.hits,
                               "misses": engine.flows.misses},
                "fastpath": engine.fastpath.counters() if engine.fastpath else {},
                "ports": {name: dict(getattr(port, "stats", {})) for name, port in
                          [("underlay", engine.underlay), *engine.vm_ports.items()]},
            }
        return base | {"enis": local, "ports": sorted(engine.vm_ports)}


class EdgeProcess:
    def __init__(self, engine: EdgeEngine) -> None:
        self.engine = engine

    def poll(self) -> int:
        return self.engine.poll()

    def tick(self) -> list[FlowLogRecord]:
        return []

    def finish(self) -> list[FlowLogRecord]:
        return []

    def report(self, request: dict[str, Any]) -> dict[str, Any]:
        base = {"host": self.engine.name, "pid": os.getpid(),
                "generation": self.engine.program.generation}
        if request.get("op") == "counters":
            return base | {"engine": self.engine.counters.of("engine")}
        return base | {"ports": sorted(self.engine.external)}
