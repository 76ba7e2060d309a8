"""`trace`: explain packets stage by stage on an in-process copy of a config.

The packets run through the same engines as everything else (no separate evaluator):
a passive in-process cloud with per-packet journals. Packets of one trace share state, so
a SYN then its SYN-ACK behave as on a real network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smartnic.clock import VirtualClock
from smartnic.dataplane.verdict import Hop
from smartnic.model.config import Config
from smartnic.net.cloud import Cloud
from smartnic.scenarios.sends import build_send


@dataclass(frozen=True)
class TraceResult:
    send: Mapping[str, Any]
    result: str  # delivered | dropped
    stage: str | None
    to: str | None
    hops: tuple[Hop, ...]

    def to_json(self) -> dict[str, Any]:
        return {"result": self.result, "stage": self.stage, "to": self.to,
                "hops": [h.to_json() for h in self.hops]}


def trace(config: Config, sends: Iterable[Mapping[str, Any]]) -> list[TraceResult]:
    """Each item: a `send` mapping of the scenario schema, optionally with `at` seconds."""
    return replay(config, sends)[1]


def replay(config: Config, sends: Iterable[Mapping[str, Any]],
           clock: VirtualClock | None = None) -> tuple[Cloud, list[TraceResult]]:
    """Run sends on a fresh passive cloud; the cloud is returned for its logs and counters."""
    clock = clock or VirtualClock()
    cloud = Cloud(config, clock, responsive=False)
    results = []
    for item in sends:
        spec = item.get("send", item)
        if "at" in item:
            clock.set_offset(max(float(item["at"]), clock.offset_s))
            cloud.tick()
        results.append(_one(cloud, spec))
    return cloud, results


def _one(cloud: Cloud, spec: Mapping[str, Any]) -> TraceResult:
    send = build_send(cloud.program, spec)
    journey = cloud.send(send.origin, send.frames)
    delivered = journey.result == "delivered"
    drop = journey.drop
    return TraceResult(
        spec,
        "delivered" if delivered else "dropped",
        None if delivered or drop is None else drop.stage,
        journey.to if delivered else None,
        tuple(journey.hops),
    )
