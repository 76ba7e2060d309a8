"""Host engines of one config driven batch by batch, with or without the fast path.

`World(config, fastpath=..., admission=...)` builds one HostEngine per host on a shared
virtual clock (`kernel_install=False`: admitted flows installed by the Python twin;
`max_flows`: a small fast-path table, to exercise eviction).
`step(batches)` hands each (ENI, frames) batch to its host's VM port, then carries the
underlay frames to the hosts they are addressed to, one batch per host, until quiet; it
returns every emission as (host, port, frame), in order. `state()` is what must not depend
on the fast path: connection tracking, counters and flow-log records of every engine.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.fastpath import FastPath
from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.runner import Emission
from smartnic.model import Config
from smartnic.ports.memory import MemoryPort

OUTER_DST_IP = slice(30, 34)
# sg-a/b/c open to the VPC and to IPv6, so flows live long enough to be replayed
OPEN = {"security_groups": [
    {"id": sg, "ingress": [{"proto": "all", "peer": "10.0.0.0/16"},
                           {"proto": "all", "peer": "::/0"}],
     "egress": [{"proto": "all", "peer": "0.0.0.0/0"}, {"proto": "all", "peer": "::/0"}]}
    for sg in ("sg-a", "sg-b", "sg-c")]}
FLOW_LOG = {"flow_logs": [{"id": "fl-vpc", "resource": "vpc-a", "traffic": "ALL",
                           "interval": 60}]}

Emitted = tuple[str, str, bytes]


class World:
    def __init__(self, config: Config, *, fastpath: bool, admission: bool = True,
                 kernel_install: bool = True, clock: VirtualClock | None = None,
                 max_flows: int | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.program = compile_program(config, 1)
        self.engines = {
            host.id: HostEngine(host.id, self.program, self.clock, MemoryPort("underlay"),
                                fastpath=fastpath, admission=admission)
            for host in self.program.hosts.values()}
        if fastpath and (max_flows is not None or not kernel_install):
            for engine in self.engines.values():
                engine.fastpath = FastPath(engine.ctx, max_flows=max_flows or 1 << 18,
                                           kernel_install=kernel_install)
                engine.load(self.program)
        self.by_ip = {host.underlay_ip: host.id for host in self.program.hosts.values()}

    def apply(self, config: Config) -> None:
        self.program = compile_program(config, self.program.generation + 1)
        for engine in self.engines.values():
            engine.load(self.program)

    def step(self, batches: list[tuple[str, list[bytes]]]) -> list[Emitted]:
        emitted: list[Emitted] = []
        underlay: defaultdict[str, list[bytes]] = defaultdict(list)
        for eni_id, frames in batches:
            host = self.program.enis[eni_id].host_id
            self._record(host, self.engines[host].process_vm_batch(eni_id, frames), emitted,
                         underlay)
        for _ in range(16):
            if not underlay:
                break
            pending, underlay = dict(underlay), defaultdict(list)
            for host in sorted(pending):
                out = self.engines[host].process_underlay_batch(pending[host])
                self._record(host, out, emitted, underlay)
        return emitted

    def _record(self, host: str, out: list[Emission], emitted: list[Emitted],
                underlay: defaultdict[str, list[bytes]]) -> None:
        for emission in out:
            emitted.append((host, emission.port, emission.frame))
            if emission.port == "underlay":
                target = self.by_ip.get(int.from_bytes(emission.frame[OUTER_DST_IP], "big"))
                if target is not None:
                    underlay[target].append(emission.frame)

    def state(self) -> dict[str, Any]:
        now = self.clock.now()
        conntrack = {
            eni.id: sorted((e.key, e.state, e.packets_orig, e.packets_reply, e.bytes_orig,
                            e.bytes_reply, e.expires_s, e.last_seen_s)
                           for e in self.engines[eni.host_id].ctx.conntrack.entries(eni.id))
            for eni in self.program.enis.values()}
        counters = {host: engine.ctx.counters.snapshot() for host, engine in self.engines.items()}
        records = {host: sorted(r.line for r in engine.ctx.flowlogs.records(include_open=True))
                   for host, engine in self.engines.items()}
        allowance = {host: engine.ctx.conntrack.counters(eni.id, now)
                     for host, engine in self.engines.items()
                     for eni in self.program.enis_on(host)}
        return {"conntrack": conntrack, "counters": counters, "flow_logs": records,
                "conntrack_counters": allowance}
