"""Per-packet records an engine keeps when asked: what happened to each packet and why.

Used by `trace`, the scenario runner and tests; off in production engines (no cost).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from smartnic.dataplane.verdict import Drop, Hop

# One order across all engines of a process, so journeys read in the order things happened.
_sequence = itertools.count()


@dataclass(frozen=True, slots=True)
class PacketEvent:
    host: str
    source: str  # "vm:<eni>" | "underlay" | "internet"
    hops: tuple[Hop, ...]
    drop: Drop | None
    emitted_on: tuple[str, ...]  # ports the packet (or its fragments/replies) left on
    cached: bool
    delivered_to: str | None = None  # eni id, service:<name>, internet, gateway:<id>
    seq: int = field(default_factory=lambda: next(_sequence))
