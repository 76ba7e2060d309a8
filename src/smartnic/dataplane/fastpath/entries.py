"""The fast path's entries: flow-table rows, their compiled actions and their log slots.

A row's flow-log slots are the A_LOG columns of its action row, whoever installed it:
Python (`put`, the slow path's FlowAction compiled by action_rows.py) or the pre-pass's
install kernel (admit_install.py). `actions[row]` keeps the FlowAction of rows Python
installed (None for kernel-installed rows): `put` skips recompiling an action already in
place. Eviction (`evict_one`, the table's CLOCK choice) and removal give the row's slots
back first, in both worlds; rows a kernel replaced or evicted are handed to `forget_rows`.

Example:
    entries = Entries(1 << 18, LogSlots())
    entries.put(key_words(key), compile_action(action, env), action)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from smartnic.dataplane.actions import FlowAction
from smartnic.dataplane.fastpath.action_rows import A_LOG
from smartnic.dataplane.fastpath.flowtable import (
    M_TOP,
    FlowTable,
    FlowTableArrays,
    clock_victim,
    ft_remove,
)
from smartnic.dataplane.fastpath.logslots import LogSlots, give_slot
from smartnic.dataplane.kernel import kernel


@kernel
def release_slots(acts: np.ndarray, row: int, acc: np.ndarray, free: np.ndarray,
                  top: np.ndarray) -> None:
    """Give back the log slots of the live entry in `row`."""
    for column in A_LOG:
        slot = acts[row, column]
        if slot >= 0:
            give_slot(acc, free, top, slot)
            acts[row, column] = -1


@kernel
def evict_one(ft: FlowTableArrays, acc: np.ndarray, free: np.ndarray, top: np.ndarray) -> int:
    """Evict the CLOCK victim (slots given back); returns its row, now free."""
    victim = clock_victim(ft)
    release_slots(ft.acts, victim, acc, free, top)
    ft_remove(ft, victim)
    return victim


class Entries:
    def __init__(self, max_flows: int, logs: LogSlots) -> None:
        self.table = FlowTable(max_flows)
        self.logs = logs
        self.actions: list[FlowAction | None] = [None] * self.table.rows

    def find(self, words: np.ndarray) -> int:
        return self.table.find(words)

    def put(self, words: np.ndarray, values: np.ndarray, action: FlowAction) -> None:
        """Install (or replace) the entry of `words` with the compiled row `values`."""
        row = self.table.find(words)
        if row >= 0:
            self.forget(row)
        else:
            self.reserve(1)
            if self.table.arrays.meta[M_TOP] == 0:
                self.forget_rows([self._evict()])
            row, _ = self.table.insert(words)
        self.table.arrays.acts[row] = values
        self.actions[row] = action

    def remove(self, row: int) -> None:
        self.forget(row)
        self.table.remove(row)

    def forget(self, row: int) -> None:
        """Give back the slots of a live row (callers flush first) and its FlowAction."""
        logs = self.logs.arrays
        release_slots(self.table.arrays.acts, row, logs.acc, logs.free, logs.top)
        self.actions[row] = None

    def forget_rows(self, rows: Iterable[int]) -> None:
        """Rows whose entries a kernel replaced or evicted (slots already given back)."""
        actions = self.actions
        for row in rows:
            actions[row] = None

    def reserve(self, rows: int) -> None:
        """Grow the table (up to its maximum) until `rows` rows are free."""
        table = self.table
        while table.arrays.meta[M_TOP] < rows and table.rows < table.max_rows:
            table.grow()
        missing = table.rows - len(self.actions)
        if missing > 0:
            self.actions += [None] * missing

    def _evict(self) -> int:
        logs = self.logs.arrays
        return int(evict_one(self.table.arrays, logs.acc, logs.free, logs.top))

    def __len__(self) -> int:
        return len(self.table)
