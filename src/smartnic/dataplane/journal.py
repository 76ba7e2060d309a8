"""Per-packet records an engine keeps when asked: what happened to each packet and why.

Used by `trace`, the scenario runner and tests; off in production engines (no cost).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.dataplane.verdict import Drop, Hop


@dataclass(frozen=True, slots=True)
class PacketEvent:
    host: str
    source: str  # "vm:<eni>" | "underlay" | "internet"
    hops: tuple[Hop, ...]
    drop: Drop | None
    emitted_on: tuple[str, ...]  # ports the packet (or its fragments/replies) left on
    cached: bool
    delivered_to: str | None = None  # eni id, service:<name>, internet, gateway:<id>
