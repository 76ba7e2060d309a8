"""What became of one injected packet across the whole cloud: events and deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartnic.dataplane.journal import PacketEvent
from smartnic.dataplane.verdict import Drop, Hop


@dataclass(frozen=True, slots=True)
class Received:
    to: str  # eni id | internet | gateway:<id> | service:<name>
    frame: bytes


@dataclass
class Journey:
    events: list[PacketEvent] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    @property
    def hops(self) -> list[Hop]:
        return [hop for event in self.events for hop in event.hops]

    @property
    def drops(self) -> list[Drop]:
        return [e.drop for e in self.events if e.drop is not None]

    @property
    def destinations(self) -> list[str]:
        return [e.delivered_to for e in self.events if e.delivered_to and e.drop is None]

    @property
    def result(self) -> str:
        if self.destinations:
            return "delivered"
        return "dropped" if self.drops else "lost"

    @property
    def to(self) -> str | None:
        destinations = self.destinations
        return destinations[0] if destinations else None

    @property
    def drop(self) -> Drop | None:
        drops = self.drops
        return drops[0] if drops else None

    def frames_to(self, to: str) -> list[bytes]:
        return [r.frame for r in self.received if r.to == to]
