"""The fast path's exact-match flow table: key words → entry row, in numpy arrays.

    slots      int64[S, 2]   per slot: entry row (or EMPTY), and the entry's hash without
                             its top bit (S: the power of two ≥ 2 × rows); side by side so
                             a probe costs one cache line
    keys       uint64[R, 8]  key words + hash per row (flowkey.py)
    acts       int64[R, A]   the compiled action of the row (action_rows.py)
    free       int64[R]      stack of unused rows
    meta       int64[3]      free-stack top, clock hand, entries

Linear probing at load ≤ 1/2; deletion shifts the following slots back (no tombstones, so
probe chains never rot). Rows grow by doubling up to `max_rows`; beyond that an install
evicts a row chosen by the CLOCK algorithm (a hit sets the row's used bit, the hand clears
it and takes the first row found clear), which approximates least-recently-used.

Bounds. Slots are a power of two, so `& mask` keeps every probe inside them, and at least
half of them are EMPTY, so every probe loop ends. Every row is exactly once either
indexed or on the free stack (as long as the rows): `ft_insert` pops only with
`meta[M_TOP] > 0` (else it evicts first), `ft_remove` pushes only a row it found in the
index. The CLOCK hand stays in [0, rows). Growth (`FlowTable.grow`) happens in Python
between kernel runs and replaces `FlowTable.arrays`: fetch them after `reserve`/`grow`.

Example:
    table = FlowTable(max_rows=1 << 17)
    row, evicted = table.insert(key_words(key))   # evicted: a row whose entry left, or -1
    table.find(key_words(key)) == row
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.dataplane.fastpath.action_rows import A_USED, ACT_COLUMNS
from smartnic.dataplane.fastpath.flowkey import KEY_WORDS, ROW_WORDS
from smartnic.dataplane.kernel import kernel

EMPTY = -1
_LOW63 = np.uint64(0x7FFFFFFFFFFFFFFF)
M_TOP, M_HAND, M_ENTRIES = 0, 1, 2
INITIAL_ROWS = 1024


class FlowTableArrays(NamedTuple):
    slots: np.ndarray
    keys: np.ndarray
    acts: np.ndarray
    free: np.ndarray
    meta: np.ndarray


def allocate(rows: int) -> FlowTableArrays:
    if rows < 1:
        raise ValueError(f"a flow table needs at least one row, got {rows}")
    slots = aligned((slot_count(rows), 2), np.int64)
    slots[:] = EMPTY
    return FlowTableArrays(
        slots=slots, keys=aligned((rows, ROW_WORDS), np.uint64),
        acts=aligned((rows, ACT_COLUMNS), np.int64),
        free=np.arange(rows - 1, -1, -1, dtype=np.int64), meta=np.array([rows, 0, 0], np.int64),
    )


def aligned(shape: tuple[int, int], dtype: type, line_bytes: int = 64) -> np.ndarray:
    """Zeros whose first byte starts a cache line (numpy gives 16-byte alignment), so a
    64-byte row costs one line, not two."""
    size = shape[0] * shape[1] * np.dtype(dtype).itemsize
    raw = np.zeros(size + line_bytes, np.uint8)
    skip = -raw.ctypes.data % line_bytes
    return raw[skip:skip + size].view(dtype).reshape(shape)


def slot_count(rows: int) -> int:
    """The power of two ≥ 2 × rows: probes wrap with a mask and stay at load ≤ 1/2."""
    return 1 << (2 * rows - 1).bit_length()


@kernel
def slot_hash(h: np.uint64) -> int:
    """What a slot keeps of a key's hash: 63 bits, so it fits an int64 in both worlds."""
    return int(np.int64(h & _LOW63))


@kernel
def find_row(slots: np.ndarray, table_keys: np.ndarray, keys: np.ndarray, i: int) -> int:
    """The row holding the key in row i of `keys` (uint64[n, 8], hash in word 7), or -1."""
    mask = slots.shape[0] - 1
    h = slot_hash(keys[i, KEY_WORDS])
    slot = h & mask
    while True:
        row = slots[slot, 0]
        if row == EMPTY:
            return -1
        if slots[slot, 1] == h:
            same = True
            for j in range(KEY_WORDS):
                if table_keys[row, j] != keys[i, j]:
                    same = False
                    break
            if same:
                return int(row)
        slot = (slot + 1) & mask


@kernel
def ft_find(ft: FlowTableArrays, keys: np.ndarray, i: int) -> int:
    return find_row(ft.slots, ft.keys, keys, i)


@kernel
def _place(ft: FlowTableArrays, row: int) -> None:
    mask = ft.slots.shape[0] - 1
    h = slot_hash(ft.keys[row, KEY_WORDS])
    slot = h & mask
    while ft.slots[slot, 0] != EMPTY:
        slot = (slot + 1) & mask
    ft.slots[slot, 0], ft.slots[slot, 1] = row, h


@kernel
def ft_remove(ft: FlowTableArrays, row: int) -> bool:
    """Take `row` out of the index (backward-shift deletion) and free it; False (nothing
    changed) when the row is not indexed — a free row pushed again would overrun the stack."""
    slots = ft.slots
    mask = slots.shape[0] - 1
    hole = slot_hash(ft.keys[row, KEY_WORDS]) & mask
    while slots[hole, 0] != row:
        if slots[hole, 0] == EMPTY:
            return False
        hole = (hole + 1) & mask
    probe = hole
    while True:
        probe = (probe + 1) & mask
        if slots[probe, 0] == EMPTY:
            break
        home = slots[probe, 1] & mask
        # The entry at `probe` may fill the hole unless its home lies in (hole, probe].
        stays = (hole < probe) & (hole < home) & (home <= probe)
        stays |= (probe < hole) & ((hole < home) | (home <= probe))
        if stays:
            continue
        slots[hole, 0], slots[hole, 1] = slots[probe, 0], slots[probe, 1]
        hole = probe
    slots[hole, 0] = EMPTY
    ft.acts[row, :] = 0
    ft.free[ft.meta[M_TOP]] = row
    ft.meta[M_TOP] += 1
    ft.meta[M_ENTRIES] -= 1
    return True


@kernel
def clock_victim(ft: FlowTableArrays) -> int:
    """The next row the hand finds with its used bit clear (clearing bits on its way);
    called only when every row is indexed (no free row), so the victim is live."""
    rows = ft.acts.shape[0]
    while True:
        row = ft.meta[M_HAND]
        ft.meta[M_HAND] = (row + 1) % rows
        if ft.acts[row, A_USED] == 0:
            return row
        ft.acts[row, A_USED] = 0


@kernel
def ft_insert(ft: FlowTableArrays, keys: np.ndarray, i: int) -> tuple[int, int]:
    """(row, evicted): the row now holding the key in row i of `keys` (its existing one if
    present) and the row whose entry was evicted to make room (then the same row), or -1."""
    row = ft_find(ft, keys, i)
    if row >= 0:
        return row, -1
    evicted = -1
    if ft.meta[M_TOP] == 0:
        evicted = clock_victim(ft)
        ft_remove(ft, evicted)
    ft.meta[M_TOP] -= 1
    row = ft.free[ft.meta[M_TOP]]
    ft.keys[row, :] = keys[i, :]
    _place(ft, row)
    ft.meta[M_ENTRIES] += 1
    return row, evicted


@kernel
def _reindex(ft: FlowTableArrays, live: np.ndarray) -> None:
    for row in range(live.shape[0]):
        if live[row]:
            _place(ft, row)


class FlowTable:
    """Owns the arrays; grows them by doubling until `max_rows`, then evicts."""

    def __init__(self, max_rows: int = 1 << 20, initial_rows: int = INITIAL_ROWS) -> None:
        if max_rows < 1 or initial_rows < 1:
            raise ValueError(f"a flow table needs rows: max_rows={max_rows}, "
                             f"initial_rows={initial_rows}")
        self.max_rows = max_rows
        self.arrays = allocate(min(initial_rows, max_rows))

    @property
    def rows(self) -> int:
        return int(self.arrays.acts.shape[0])

    def __len__(self) -> int:
        return int(self.arrays.meta[M_ENTRIES])

    def find(self, key: np.ndarray) -> int:
        """The row of `key` (uint64[8] words), or -1."""
        return int(ft_find(self.arrays, key.reshape(1, ROW_WORDS), 0))

    def insert(self, key: np.ndarray) -> tuple[int, int]:
        if self.arrays.meta[M_TOP] == 0 and self.rows < self.max_rows and self.find(key) < 0:
            self.grow()
        row, evicted = ft_insert(self.arrays, key.reshape(1, ROW_WORDS), 0)
        return int(row), int(evicted)

    def remove(self, row: int) -> bool:
        """Free `row`; False when it held no entry."""
        return bool(ft_remove(self.arrays, row))

    def grow(self) -> None:
        old, rows = self.arrays, self.rows
        grown = allocate(min(2 * rows, self.max_rows))
        grown.keys[:rows], grown.acts[:rows] = old.keys, old.acts
        live = np.ones(rows, np.bool_)
        live[old.free[:old.meta[M_TOP]]] = False
        _reindex(grown, live)
        spare = np.arange(grown.acts.shape[0] - 1, rows - 1, -1, dtype=np.int64)
        stacked = np.concatenate([spare, old.free[:old.meta[M_TOP]]])  # old ones on top
        grown.free[:stacked.shape[0]] = stacked
        grown.meta[:] = (stacked.shape[0], 0, old.meta[M_ENTRIES])
        self.arrays = grown
