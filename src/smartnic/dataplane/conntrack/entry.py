"""A handle on one tracked connection: (table, row, incarnation), read through the arrays.

Handles are cheap and not stored per connection (the arrays are the storage), so a
million connections cost only their rows. A handle whose row was freed reads `removed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartnic.dataplane.conntrack.arrays import ORIGIN_INGRESS
from smartnic.dataplane.conntrack.rows import decode_key

if TYPE_CHECKING:
    from smartnic.dataplane.conntrack.table import ConntrackTable


class CtEntry:
    __slots__ = ("table", "row", "incarnation")

    def __init__(self, table: ConntrackTable, row: int, incarnation: int) -> None:
        self.table = table
        self.row = row
        self.incarnation = incarnation

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CtEntry) and (other.table, other.row, other.incarnation) == (
            self.table, self.row, self.incarnation)

    def __hash__(self) -> int:
        return hash((id(self.table), self.row, self.incarnation))

    def __repr__(self) -> str:
        return f"CtEntry({self.eni_id}, {self.key}, state={self.state})"

    @property
    def removed(self) -> bool:
        ct = self.table.arrays
        return not ct.live[self.row] or int(ct.incarnation[self.row]) != self.incarnation

    @property
    def eni_id(self) -> str:
        return self.table.eni_name(int(self.table.arrays.eni[self.row]))

    @property
    def key(self) -> tuple[int, int, int, int, int, int]:
        return decode_key(self.table.arrays.key[self.row])

    @property
    def proto_class(self) -> int:
        return int(self.table.arrays.proto_class[self.row])

    @property
    def state(self) -> int:
        return int(self.table.arrays.state[self.row])

    @property
    def origin(self) -> str:
        return "ingress" if self.table.arrays.origin[self.row] == ORIGIN_INGRESS else "egress"

    @property
    def expires_s(self) -> float:
        return float(self.table.arrays.expires_s[self.row])

    @property
    def last_seen_s(self) -> float:
        return float(self.table.arrays.last_seen_s[self.row])

    @property
    def packets_orig(self) -> int:
        return int(self.table.arrays.packets[self.row, 0])

    @property
    def packets_reply(self) -> int:
        return int(self.table.arrays.packets[self.row, 1])

    @property
    def bytes_orig(self) -> int:
        return int(self.table.arrays.bytes[self.row, 0])

    @property
    def bytes_reply(self) -> int:
        return int(self.table.arrays.bytes[self.row, 1])
