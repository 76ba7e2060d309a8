"""Per-ENI connection tracking with idle timeouts and a capacity (SG-R18..R25).

Storage is numpy rows (arrays.py) with an open-addressing index (index.py), so the fast
path's numba kernels read and update the same connections the slow path creates, and a
connection costs about 110 bytes. Inputs: a FlowTuple per packet, the packet's direction
relative to the ENI, the clock time. Outputs: the live entry a packet belongs to (and
whether it is a reply), new entries, and per-ENI counters `conntrack_allowance_exceeded`
/ `conntrack_allowance_available` (SG-R25).

Entries outlive policy changes (SG-R22); they expire after the idle timeout of their state.
Expired rows are freed lazily on lookup and by sweeps when an ENI reaches its capacity
(or the table its `max_rows`: then every ENI is swept); sweeps of a large ENI, and of the
whole table, run at most once per second of clock time, so an entry may hold its place
for up to a second after it expired.

Growth happens here, in Python, never inside a kernel: rows double (up to `max_rows`)
when a create finds no free row or `reserve` asks for more, the per-ENI arrays double when
an ENI is configured past their length. Either replaces arrays in `self.arrays`, the
index and the free stack, so callers fetch them (`arrays`, `bulk()`) after `reserve` and
never keep them across a growth. The free stack always holds every row not live
(rows.py: what bounds the kernels' pushes and pops).
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack import rows
from smartnic.dataplane.conntrack.arrays import (
    ORIGIN_EGRESS,
    ORIGIN_INGRESS,
    PER_ENI_FIELDS,
    TCP_STATE_COLUMN,
    CtArrays,
    allocate,
    ct_alive,
    ct_touch,
)
from smartnic.dataplane.conntrack.entry import CtEntry
from smartnic.dataplane.conntrack.key import FlowTuple
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts

DEFAULT_CAPACITY = 262_144  # per ENI
INITIAL_ROWS = 1024
MAX_ROWS = 1 << 22
SMALL_SWEEP_ROWS = 4096  # ENIs this small are swept whenever they are full
SWEEP_INTERVAL_S = 1.0

__all__ = ["DEFAULT_CAPACITY", "ConntrackTable", "CtEntry"]


class ConntrackTable:
    """All tracked connections of the ENIs one engine serves."""

    def __init__(self, rows_hint: int = INITIAL_ROWS, max_rows: int = MAX_ROWS) -> None:
        if max_rows < 1:
            raise ValueError(f"max_rows must be positive, got {max_rows}")
        self.max_rows = max_rows
        self.tcp_columns = TCP_STATE_COLUMN
        self._enis: dict[str, int] = {}  # ENI id -> index into the per-ENI arrays
        self._all_swept_s = -np.inf  # last sweep of every ENI at max_rows
        self._names: list[str] = []
        self._allocate(min(max(16, rows_hint), max_rows))

    # -- ENIs ----------------------------------------------------------------------------
    def configure_eni(self, eni_id: str, capacity: int, timeouts: ConntrackTimeouts) -> None:
        index = self._enis.get(eni_id)
        if index is None:
            index = self._enis[eni_id] = len(self._names)
            self._names.append(eni_id)
            if index >= self.arrays.timeouts_s.shape[0]:
                self._grow_enis()
        self.arrays.eni_capacity[index] = capacity
        self.arrays.timeouts_s[index] = astuple(timeouts)

    def remove_eni(self, eni_id: str) -> None:
        index = self._enis.pop(eni_id, None)
        if index is not None:
            rows.free_eni(self.arrays, self._index, self._free, self._top, index)

    def eni_name(self, index: int) -> str:
        return self._names[index]

    def eni_index(self, eni_id: str) -> int:
        return self._enis[eni_id]

    # -- connections ---------------------------------------------------------------------
    def lookup(self, eni_id: str, tup: FlowTuple, now_s: float) -> tuple[CtEntry, bool] | None:
        """The live entry the packet belongs to, and whether it travels as a reply."""
        eni = self._enis[eni_id]
        for key, is_reply in ((tup.forward, False), (tup.reverse, True)):
            row = -1 if key is None else ix.find(self._index, self.arrays.key,
                                                 rows.encode_key(eni, key))
            if row < 0:
                continue
            if self.arrays.expires_s[row] <= now_s:
                self._free_row(row)
                continue
            return self._handle(row), is_reply
        return None

    def create(self, eni_id: str, tup: FlowTuple, origin: str, now_s: float) -> CtEntry | None:
        """A new entry for the packet's forward key; None when the ENI is at capacity."""
        assert tup.forward is not None, "replies never create entries"
        eni, ct = self._enis[eni_id], self.arrays
        words = rows.encode_key(eni, tup.forward)
        old = ix.find(self._index, ct.key, words)
        if old >= 0:
            self._free_row(old)  # a reopened connection replaces the finished one
        if ct.eni_count[eni] >= ct.eni_capacity[eni]:
            self.sweep(eni, now_s)
        row = self._take_row(now_s) if ct.eni_count[eni] < ct.eni_capacity[eni] else -1
        if row < 0:
            self.arrays.eni_exceeded[eni] += 1
            return None
        self._fill(row, eni, words, tup.proto_class, origin, now_s)
        return self._handle(row)

    def touch(self, entry: CtEntry, is_reply: bool, tcp_flags: int, length_bytes: int,
              now_s: float) -> bool:
        """Account a packet to its entry. False: the packet starts a new connection instead."""
        if entry.removed:
            return False
        if not ct_touch(self.arrays, entry.row, is_reply, tcp_flags, length_bytes, now_s,
                        self.tcp_columns):
            self._free_row(entry.row)
            return False
        return True

    def alive(self, entry: CtEntry, now_s: float) -> bool:
        return bool(ct_alive(self.arrays, entry.row, entry.incarnation, now_s))

    def counters(self, eni_id: str, now_s: float) -> dict[str, int]:
        eni = self._enis.get(eni_id)
        if eni is None:
            return {}
        self.sweep(eni, now_s)
        ct = self.arrays
        count, capacity = int(ct.eni_count[eni]), int(ct.eni_capacity[eni])
        return {
            "conntrack_entries": count,
            "conntrack_allowance_exceeded": int(ct.eni_exceeded[eni]),
            "conntrack_allowance_available": max(capacity - count, 0),
            "conntrack_opened": int(ct.eni_opened[eni]),
        }

    def entries(self, eni_id: str) -> list[CtEntry]:
        eni = self._enis.get(eni_id)
        if eni is None:
            return []
        ct = self.arrays
        found = np.nonzero((ct.live == 1) & (ct.eni == eni))[0]
        return [self._handle(int(row)) for row in found]

    def bulk(self) -> tuple[CtArrays, np.ndarray, np.ndarray, np.ndarray]:
        """Rows, index, free stack and its top, for kernels that create connections; call
        `reserve` first and `settle` after."""
        return self.arrays, self._index, self._free, self._top

    def reserve(self, rows_needed: int) -> None:
        """Make sure `rows_needed` rows are free (kernels cannot grow the arrays), as far as
        `max_rows` allows: kernels still check the stack before they pop."""
        while self._top[0] < rows_needed and self._grow_rows():
            pass

    def settle(self) -> None:
        """After kernels created or freed rows: keep the index below 70 % load."""
        self._keep_index_sparse()

    def nbytes(self) -> int:
        """Memory held by the rows, the index and the free stack."""
        return sum(a.nbytes for a in self.arrays) + self._index.nbytes + self._free.nbytes

    # -- rows ----------------------------------------------------------------------------
    def _handle(self, row: int) -> CtEntry:
        return CtEntry(self, row, int(self.arrays.incarnation[row]))

    def _fill(self, row: int, eni: int, words: np.ndarray, proto_class: int,
              origin: str, now_s: float) -> None:
        side = ORIGIN_INGRESS if origin == "ingress" else ORIGIN_EGRESS
        rows.fill_row(self.arrays, self._index, row, words, eni, proto_class, side, now_s,
                      self.tcp_columns)
        self._keep_index_sparse()

    def _keep_index_sparse(self) -> None:
        """Rebuild the index when live rows plus tombstones (`_top[1]`, counted by every
        free, kernels' included) pass 70 % of its slots: probes stay short."""
        if (self._rows_used() + int(self._top[1])) * 10 > self._index.shape[0] * 7:
            ix.rebuild(self._index, self.arrays.key, self.arrays.live)
            self._top[1] = 0

    def _take_row(self, now_s: float) -> int:
        """A free row: from the stack, after growing it, or — at `max_rows` — after freeing
        every ENI's expired rows (at most once per SWEEP_INTERVAL_S); -1 when none."""
        if self._top[0] == 0 and not self._grow_rows():
            self._sweep_all(now_s)
            if self._top[0] == 0:
                return -1
        self._top[0] -= 1
        return int(self._free[self._top[0]])

    def _free_row(self, row: int) -> None:
        rows.free_row(self.arrays, self._index, self._free, self._top, row)

    def sweep(self, eni: int, now_s: float) -> None:
        """Free the expired rows of ENI index `eni` when due (a full small ENI always; a
        large one at most once per SWEEP_INTERVAL_S); `create` calls it on a full ENI."""
        if not 0 <= eni < len(self._names):
            raise ValueError(f"no ENI number {eni}")
        ct = self.arrays
        if ct.eni_count[eni] > SMALL_SWEEP_ROWS and now_s - ct.eni_swept_s[eni] < (
                SWEEP_INTERVAL_S):
            return
        ct.eni_swept_s[eni] = now_s
        rows.sweep(ct, self._index, self._free, self._top, eni, now_s)

    def _sweep_all(self, now_s: float) -> None:
        if now_s - self._all_swept_s < SWEEP_INTERVAL_S:
            return
        self._all_swept_s = now_s
        rows.sweep(self.arrays, self._index, self._free, self._top, -1, now_s)

    def _rows_used(self) -> int:
        return self.arrays.live.shape[0] - int(self._top[0])

    # -- growth --------------------------------------------------------------------------
    def _allocate(self, rows_count: int) -> None:
        self.arrays: CtArrays = allocate(rows_count, 16)
        self._index = np.full(_slots_for(rows_count), ix.EMPTY, np.int32)
        self._free = np.arange(rows_count - 1, -1, -1, dtype=np.int32)
        self._top = np.array([rows_count, 0], np.int64)  # free stack's top, tombstones

    def _grow_rows(self) -> bool:
        old = self.arrays
        size = old.live.shape[0]
        if size >= self.max_rows:
            return False
        grown = allocate(min(size * 2, self.max_rows), 1)
        for name in CtArrays._fields:
            if name not in PER_ENI_FIELDS:
                getattr(grown, name)[:size] = getattr(old, name)
        self.arrays = grown._replace(**{name: getattr(old, name) for name in PER_ENI_FIELDS})
        added = grown.live.shape[0] - size
        # The free stack holds every row once all are freed: kernels push without a check.
        stacked = np.concatenate([np.arange(grown.live.shape[0] - 1, size - 1, -1),
                                  self._free[:self._top[0]]])
        self._free = np.empty(grown.live.shape[0], np.int32)
        self._free[:stacked.shape[0]] = stacked
        self._top = np.array([stacked.shape[0], 0], np.int64)
        self._index = np.full(_slots_for(grown.live.shape[0]), ix.EMPTY, np.int32)
        ix.rebuild(self._index, grown.key, grown.live)
        return added > 0

    def _grow_enis(self) -> None:
        old = self.arrays
        grown = allocate(1, old.timeouts_s.shape[0] * 2)
        changes = {}
        for name in PER_ENI_FIELDS:
            array = getattr(grown, name)
            array[:getattr(old, name).shape[0]] = getattr(old, name)
            changes[name] = array
        self.arrays = old._replace(**changes)


def _slots_for(rows_count: int) -> int:
    return 1 << int(2 * rows_count - 1).bit_length()
