"""Invariants that bound the kernels' indices, checked on live tables (shared by the table
state machines and the flood test).

- ConntrackTable: every row exactly once live or on the free stack, which is as long as
  the rows; the index holds exactly the live rows and finds each under its key; per-ENI
  counts equal the live rows of each ENI.
- FlowTable: every row exactly once indexed or on the free stack; slots a power of two
  with at least half of them empty; every indexed row found under its key.
- Entries + LogSlots: every flow-log slot exactly once free or held by one live entry.
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import flowtable as ft
from smartnic.dataplane.fastpath.entries import Entries
from smartnic.dataplane.fastpath.flowkey import KEY_WORDS


def check_conntrack(table: ConntrackTable) -> None:
    ct, index, free, top = table.bulk()
    rows = ct.live.shape[0]
    assert rows <= table.max_rows and free.shape[0] == rows and 0 <= top[0] <= rows
    assert set(np.unique(ct.live).tolist()) <= {0, 1}
    stacked = free[:top[0]]
    live = np.flatnonzero(ct.live)
    assert np.unique(stacked).shape[0] == stacked.shape[0]
    assert np.array_equal(np.sort(np.concatenate([stacked, live])), np.arange(rows))
    assert np.array_equal(np.sort(index[index >= 0]), live)
    for row in live.tolist():
        assert ix.find(index, ct.key, ct.key[row].copy()) == row
    counts = np.bincount(ct.eni[live], minlength=ct.eni_count.shape[0])
    assert np.array_equal(counts, ct.eni_count)


def check_flow_table(table: ft.FlowTable) -> list[int]:
    """The invariants; returns the live (indexed) rows."""
    arrays, rows = table.arrays, table.rows
    top, hand, entries = (int(v) for v in arrays.meta)
    assert rows <= table.max_rows and arrays.free.shape[0] == rows and 0 <= top <= rows
    assert 0 <= hand < rows
    slots = arrays.slots
    assert slots.shape[0] >= 2 * rows and slots.shape[0] & (slots.shape[0] - 1) == 0
    indexed = slots[slots[:, 0] != ft.EMPTY]
    live = sorted(indexed[:, 0].tolist())
    stacked = arrays.free[:top].tolist()
    assert len(live) == entries == len(table)
    assert sorted(stacked + live) == list(range(rows))  # each row once: indexed or free
    for row, stored in indexed.tolist():
        assert stored == ft.slot_hash(arrays.keys[row, KEY_WORDS])
        assert ft.ft_find(arrays, arrays.keys, row) == row
    return live


def check_log_slots(entries: Entries) -> None:
    live = check_flow_table(entries.table)
    logs = entries.logs.arrays
    capacity = logs.acc.shape[0]
    assert logs.free.shape[0] == logs.order.shape[0] == logs.meta.shape[0] == capacity
    held = entries.table.arrays.acts[live][:, list(a.A_LOG)].ravel()
    held = held[held >= 0]
    stacked = logs.free[:logs.top[0]]
    assert np.array_equal(np.sort(np.concatenate([stacked, held])), np.arange(capacity))
