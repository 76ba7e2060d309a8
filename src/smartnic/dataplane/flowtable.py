"""Exact-match flow cache: flow key -> the action the slow path decided.

Entries carry the Program generation they were decided under; the engine re-decides an
entry whose generation is old or whose connection-tracking entries have expired, so a
cached action is never trusted beyond what decided it. Bounded: the oldest entries are
evicted first. Non-first IP fragments carry no ports; they find their flow's action
through the fragment table, keyed by the IP identification of the datagram.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from smartnic.dataplane.actions import FlowAction

FRAGMENT_TIMEOUT_S = 30.0  # like the Linux reassembly timeout


class FlowTable:
    def __init__(self, capacity: int = 1 << 20) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, FlowAction] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> FlowAction | None:
        return self._entries.get(key)

    def install(self, key: Hashable, action: FlowAction) -> None:
        self._entries[key] = action
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def remove(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class FragmentTable:
    """(ip version, src, dst, proto, ip id) of a datagram -> its first fragment's action."""

    def __init__(self, capacity: int = 65536) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[FlowAction, float]] = OrderedDict()

    def remember(self, key: Hashable, action: FlowAction, now_s: float) -> None:
        self._entries[key] = (action, now_s + FRAGMENT_TIMEOUT_S)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def find(self, key: Hashable, now_s: float) -> FlowAction | None:
        found = self._entries.get(key)
        if found is None or found[1] <= now_s:
            self._entries.pop(key, None)
            return None
        return found[0]
