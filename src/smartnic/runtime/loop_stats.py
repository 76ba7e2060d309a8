"""What the engine loop did: passes, sleeps, and how long each kind of work held the loop.

A frame waits in its ring while the loop is busy elsewhere, so the longest time any one
phase held the loop bounds a bystander's added latency. Phases: `ports` (one pass over
every port, batches included), `tick` (flow-log windows closed), `flowlogs` (a slice of
their records rendered and delivered: flowlog_outbox.py), `control`
(status/counters requests answered) and `collect` (a full garbage collection). Reported
under "loop" by `smartnic counters`, as OVS reports its poll-loop durations.

Example:
    stats = LoopStats()
    started = time.perf_counter()
    ...                                   # the phase's work
    stats.held("ports", started, time.perf_counter())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PHASES = ("ports", "tick", "flowlogs", "control", "collect")
SLOW_MS = (1.0, 10.0, 100.0)  # thresholds the report counts holds above


@dataclass
class PhaseHolds:
    times: int = 0
    longest_ms: float = 0.0
    over_ms: list[int] = field(default_factory=lambda: [0] * len(SLOW_MS))

    def add(self, held_ms: float) -> None:
        self.times += 1
        self.longest_ms = max(self.longest_ms, held_ms)
        for i, limit in enumerate(SLOW_MS):
            if held_ms > limit:
                self.over_ms[i] += 1

    def report(self) -> dict[str, Any]:
        return {"times": self.times, "longest_ms": round(self.longest_ms, 3),
                **{f"over_{limit:g}ms": n for limit, n in zip(SLOW_MS, self.over_ms, strict=True)}}


@dataclass
class LoopStats:
    passes: int = 0  # rounds over the ports
    sleeps: int = 0  # waits in poll(2)
    phases: dict[str, PhaseHolds] = field(
        default_factory=lambda: {name: PhaseHolds() for name in PHASES})

    def held(self, phase: str, started_s: float, ended_s: float) -> None:
        self.phases[phase].add((ended_s - started_s) * 1e3)

    def report(self) -> dict[str, Any]:
        return {"passes": self.passes, "sleeps": self.sleeps,
                "held": {name: holds.report() for name, holds in self.phases.items()}}
