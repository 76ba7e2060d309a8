"""The kernels' tables as state machines against plain-Python models, at their edges.

FlowTable (fast path), Entries with their flow-log slots, and ConntrackTable are driven
through random sequences of their operations — inserts and creates from Python and from
the kernels, lookups, clock advances that expire connections, sweeps, CLOCK eviction at
`max_rows` (the hand wrapping around), growth, removals, removed ENIs, and frees of rows
already free — with tiny maximums and capacities, so empty and full free stacks, full
ENIs and eviction happen often. After every step the invariants that bound the kernels'
indices hold: every row is exactly once live or on the free stack (which is as long as
the rows), the index finds every live key and nothing else, counts equal the model's.
With NUMBA_BOUNDSCHECK=1 (`make test` runs this module so too) any index outside an
array raises instead of corrupting memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from smartnic.dataplane.actions import LogPacket
from smartnic.dataplane.admission import ctops
from smartnic.dataplane.conntrack import rows as ct_rows
from smartnic.dataplane.conntrack import states as cs
from smartnic.dataplane.conntrack.arrays import ORIGIN_EGRESS
from smartnic.dataplane.conntrack.key import FlowTuple, flow_tuple
from smartnic.dataplane.conntrack.table import SMALL_SWEEP_ROWS, ConntrackTable
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import flowtable as ft
from smartnic.dataplane.fastpath.entries import Entries
from smartnic.dataplane.fastpath.flowkey import key_words
from smartnic.dataplane.fastpath.logslots import LogSlots
from tests.unit.dataplane.table_checks import check_conntrack, check_flow_table, check_log_slots

pytestmark = pytest.mark.boundscheck

KEYS = st.integers(0, 23)
MACHINE = settings(max_examples=60, stateful_step_count=40, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])


def words(n: int) -> np.ndarray:
    return key_words((0, n % 5 + 1, 4, 0x0A000000 + n, 0x0A000001, 17, 40000 + n, 53, 0, 0, 0))


# -- fast path flow table ------------------------------------------------------------------

class FlowTableModel:
    """key number -> row, with the CLOCK (used bits, hand) simulated exactly."""

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}
        self.used: set[int] = set()
        self.hand = 0

    def victim(self, table_rows: int) -> int:
        while True:
            row, self.hand = self.hand, (self.hand + 1) % table_rows
            if row not in self.used:
                return row
            self.used.discard(row)

    def drop_row(self, row: int) -> int:
        (key,) = [k for k, r in self.rows.items() if r == row]
        del self.rows[key]
        self.used.discard(row)
        return key


def check_against_model(table: ft.FlowTable, model: FlowTableModel) -> None:
    assert check_flow_table(table) == sorted(model.rows.values())
    for n in range(24):
        assert table.find(words(n)) == model.rows.get(n, -1)
    assert table.arrays.meta[ft.M_HAND] == model.hand
    used = {int(r) for r in np.flatnonzero(table.arrays.acts[:, a.A_USED])}
    assert used == model.used


class FlowTableMachine(RuleBasedStateMachine):
    @initialize(max_rows=st.sampled_from([1, 2, 3, 5, 8, 13]), initial=st.sampled_from([1, 2, 4]))
    def start(self, max_rows: int, initial: int) -> None:
        self.table = ft.FlowTable(max_rows=max_rows, initial_rows=initial)
        self.model = FlowTableModel()

    def _full(self) -> bool:
        return len(self.model.rows) == self.table.rows

    @rule(n=KEYS)
    def insert(self, n: int) -> None:
        """FlowTable.insert: grows while below max_rows, then evicts the CLOCK victim."""
        model, known = self.model, n in self.model.rows
        grows = self._full() and not known and self.table.rows < self.table.max_rows
        if grows:
            model.hand = 0  # growth restarts the hand
        expected_victim = model.victim(self.table.rows) if (
            self._full() and not known and not grows) else -1
        row, evicted = self.table.insert(words(n))
        assert evicted == expected_victim
        if known:
            assert row == model.rows[n]
        if evicted >= 0:
            assert row == evicted and model.drop_row(evicted) != n
        model.rows[n] = row

    @rule(n=KEYS)
    def kernel_insert(self, n: int) -> None:
        """The kernel alone (as the install kernel calls it): never grows, evicts when no
        row is free even below max_rows."""
        model, known = self.model, n in self.model.rows
        expected_victim = model.victim(self.table.rows) if self._full() and not known else -1
        row, evicted = ft.ft_insert(self.table.arrays, words(n).reshape(1, -1), 0)
        assert evicted == expected_victim
        if evicted >= 0:
            model.drop_row(evicted)
        model.rows[n] = int(row)

    @rule(n=KEYS)
    def remove(self, n: int) -> None:
        if n in self.model.rows:
            row = self.model.rows.pop(n)
            self.model.used.discard(row)
            assert self.table.remove(row)

    @rule(data=st.data())
    def remove_a_free_row(self, data: st.DataObject) -> None:
        """Freeing a row twice changes nothing (it would push past the stack's end)."""
        free = sorted(set(range(self.table.rows)) - set(self.model.rows.values()))
        if free:
            assert not self.table.remove(data.draw(st.sampled_from(free)))

    @rule(n=KEYS)
    def hit(self, n: int) -> None:
        if n in self.model.rows:
            row = self.model.rows[n]
            self.table.arrays.acts[row, a.A_USED] = 1
            self.model.used.add(row)

    @precondition(lambda self: self.table.rows < self.table.max_rows)
    @rule()
    def grow(self) -> None:
        self.table.grow()
        self.model.hand = 0

    @invariant()
    def consistent(self) -> None:
        check_against_model(self.table, self.model)


TestFlowTableMachine = FlowTableMachine.TestCase
TestFlowTableMachine.settings = MACHINE


# -- entries and their flow-log slots -----------------------------------------------------

def log_effect(n: int) -> LogPacket:
    return LogPacket("eni-a", "egress", "ACCEPT", None, 4, "10.0.0.1", f"10.0.1.{n}", 40000 + n,
                     53, 17)


class EntriesMachine(RuleBasedStateMachine):
    """Entries (FastPath's rows + actions) with LogSlots: slots are owned exactly once."""

    @initialize(max_flows=st.sampled_from([1, 2, 3, 6]), capacity=st.sampled_from([1, 2, 3]))
    def start(self, max_flows: int, capacity: int) -> None:
        self.logs = LogSlots(capacity=capacity)
        self.entries = Entries(max_flows, self.logs)
        self.slots: dict[int, list[int]] = {}  # key number -> its slots

    @rule(n=KEYS, count=st.integers(0, a.MAX_LOG_SLOTS))
    def put(self, n: int, count: int) -> None:
        values = np.zeros(a.ACT_COLUMNS, np.int64)
        values[list(a.A_LOG)] = -1
        taken = [self.logs.allocate(log_effect(n)) for _ in range(count)]
        values[list(a.A_LOG[:count])] = taken
        before = {self.entries.find(words(k)): k for k in self.slots}
        self.entries.put(words(n), values, None)  # type: ignore[arg-type]
        row = self.entries.find(words(n))
        gone = before.get(row)
        if gone is not None and gone != n:  # evicted to make room
            del self.slots[gone]
        self.slots[n] = taken

    @rule(n=KEYS)
    def remove(self, n: int) -> None:
        if n in self.slots:
            self.entries.remove(self.entries.find(words(n)))
            del self.slots[n]

    @rule(more=st.integers(1, 4))
    def reserve(self, more: int) -> None:
        self.entries.reserve(more)
        self.logs.reserve(more)

    @invariant()
    def consistent(self) -> None:
        check_log_slots(self.entries)
        table = self.entries.table
        assert len(table) == len(self.slots) <= table.max_rows
        assert len(self.entries.actions) >= table.rows
        for n, taken in self.slots.items():
            row = self.entries.find(words(n))
            assert row >= 0
            in_row = [s for s in table.arrays.acts[row, list(a.A_LOG)].tolist() if s >= 0]
            assert in_row == taken


TestEntriesMachine = EntriesMachine.TestCase
TestEntriesMachine.settings = MACHINE


# -- connection tracking -------------------------------------------------------------------

VM, PEER = 0x0A000A0A, 0xC6336407
ENI_NAMES = ("eni-0", "eni-1", "eni-2")
TIMEOUTS = (ConntrackTimeouts(udp_s=30.0, udp_stream_s=60.0),
            ConntrackTimeouts(udp_s=5.0, udp_stream_s=20.0))
T0 = 1000.0


def udp(sport: int, reverse: bool = False) -> FlowTuple:
    """A UDP flow from the VM (port `sport` → 53), or the packet answering it."""
    tup = flow_tuple(4, 17, PEER, VM, 53, sport) if reverse else flow_tuple(4, 17, VM, PEER,
                                                                            sport, 53)
    assert tup is not None
    return tup


class Conn:
    def __init__(self, expires_s: float) -> None:
        self.state = cs.UDP_NEW
        self.expires_s = expires_s


class ConntrackMachine(RuleBasedStateMachine):
    """Model: (ENI id, forward key) -> Conn, per-ENI capacity, timeouts and refusals."""

    @initialize(max_rows=st.sampled_from([1, 2, 3, 16, 20, 40]), hint=st.sampled_from([1, 16]))
    def start(self, max_rows: int, hint: int) -> None:
        self.table = ConntrackTable(rows_hint=hint, max_rows=max_rows)
        self.max_rows = max_rows
        self.now = T0
        self.conns: dict[tuple[str, Any], Conn] = {}
        self.enis: dict[str, tuple[int, ConntrackTimeouts]] = {}  # capacity, timeouts
        self.exceeded: dict[int, int] = {}  # by ENI index: refusals never reset
        self.bulk_names = 0
        self.all_swept_s = -np.inf

    # -- helpers ----------------------------------------------------------------------
    def _count(self, eni_id: str) -> int:
        return sum(1 for e, _ in self.conns if e == eni_id)

    def _sweep(self, eni_id: str) -> None:
        assert self._count(eni_id) <= SMALL_SWEEP_ROWS  # always due at these sizes
        for key in [k for k, c in self.conns.items() if k[0] == eni_id
                    and c.expires_s <= self.now]:
            del self.conns[key]

    def _timeout(self, eni_id: str, state: int) -> float:
        timeouts = self.enis[eni_id][1]
        return timeouts.udp_stream_s if state == cs.UDP_STREAM else timeouts.udp_s

    # -- ENIs ---------------------------------------------------------------------------
    @rule(name=st.sampled_from(ENI_NAMES), capacity=st.integers(0, 5),
          timeouts=st.sampled_from(TIMEOUTS))
    def configure(self, name: str, capacity: int, timeouts: ConntrackTimeouts) -> None:
        self.table.configure_eni(name, capacity, timeouts)
        self.enis[name] = (capacity, timeouts)

    @rule()
    def configure_many(self) -> None:
        """Nine more ENIs at once: the per-ENI arrays (16 to start) grow."""
        for _ in range(9):
            self.bulk_names += 1
            name = f"bulk-{self.bulk_names}"
            self.table.configure_eni(name, 1, TIMEOUTS[0])
            self.enis[name] = (1, TIMEOUTS[0])

    @precondition(lambda self: self.enis)
    @rule(data=st.data())
    def remove_eni(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.enis)))
        self.table.remove_eni(name)
        del self.enis[name]
        for key in [k for k in self.conns if k[0] == name]:
            del self.conns[key]

    # -- connections --------------------------------------------------------------------
    @precondition(lambda self: self.enis)
    @rule(data=st.data(), sport=KEYS)
    def create(self, data: st.DataObject, sport: int) -> None:
        """The slow path's create: replaces a row under the key, sweeps a full ENI, and a
        full table (at most once a second)."""
        name = data.draw(st.sampled_from(sorted(self.enis)))
        tup = udp(sport)
        entry = self.table.create(name, tup, "egress", self.now)
        self.conns.pop((name, tup.forward), None)
        capacity = self.enis[name][0]
        if self._count(name) >= capacity:
            self._sweep(name)
        full = len(self.conns) >= self.max_rows
        if self._count(name) < capacity and full and self.now - self.all_swept_s >= 1.0:
            self.all_swept_s = self.now  # max_rows: every ENI's expired rows are freed
            self.conns = {k: c for k, c in self.conns.items() if c.expires_s > self.now}
        if self._count(name) < capacity and len(self.conns) < self.max_rows:
            assert entry is not None and not entry.removed
            self.conns[(name, tup.forward)] = Conn(self.now + self._timeout(name, cs.UDP_NEW))
        else:
            assert entry is None
            index = self.table.eni_index(name)
            self.exceeded[index] = self.exceeded.get(index, 0) + 1

    @precondition(lambda self: self.enis)
    @rule(data=st.data(), sport=KEYS)
    def kernel_create(self, data: st.DataObject, sport: int) -> None:
        """What the admission kernels do: reserve, check room, create in a kernel, settle."""
        name = data.draw(st.sampled_from(sorted(self.enis)))
        index, tup = self.table.eni_index(name), udp(sport)
        self.table.reserve(1)
        ct, ct_index, free, top = self.table.bulk()
        if ct.eni_count[index] >= ct.eni_capacity[index]:
            return  # admission names the ENI to sweep, or refuses: nothing is created
        row = ctops.create(ct, ct_index, free, top, ct_rows.encode_key(index, tup.forward),
                           index, 17, ORIGIN_EGRESS, self.now, self.table.tcp_columns)
        self.table.settle()
        self.conns.pop((name, tup.forward), None)  # a stale row under the key is freed
        if len(self.conns) < self.max_rows:
            assert row >= 0
            self.conns[(name, tup.forward)] = Conn(self.now + self._timeout(name, cs.UDP_NEW))
        else:
            assert row == -1

    @precondition(lambda self: self.enis)
    @rule(data=st.data(), sport=KEYS, reverse=st.booleans())
    def packet(self, data: st.DataObject, sport: int, reverse: bool) -> None:
        """lookup (frees an expired row it meets), then touch what it found."""
        name = data.draw(st.sampled_from(sorted(self.enis)))
        tup = udp(sport, reverse)
        hit = self.table.lookup(name, tup, self.now)
        expected = None
        for key, is_reply in ((tup.forward, False), (tup.reverse, True)):
            conn = self.conns.get((name, key))
            if conn is None:
                continue
            if conn.expires_s <= self.now:
                del self.conns[(name, key)]
                continue
            expected = conn, is_reply, key
            break
        if expected is None:
            assert hit is None
            return
        conn, is_reply, key = expected
        assert hit is not None and hit[1] == is_reply
        assert hit[0].key == key
        assert self.table.touch(hit[0], is_reply, 0, 60, self.now)
        conn.state = cs.udp_next_state.py_func(conn.state, is_reply)
        conn.expires_s = self.now + self._timeout(name, conn.state)

    @precondition(lambda self: self.enis)
    @rule(data=st.data())
    def sweep(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.enis)))
        self.table.sweep(self.table.eni_index(name), self.now)
        self._sweep(name)

    @rule(data=st.data())
    def free_a_row_twice(self, data: st.DataObject) -> None:
        """The row kernel frees a live row once; a second free changes nothing."""
        ct, ct_index, free, top = self.table.bulk()
        row = data.draw(st.integers(0, ct.live.shape[0] - 1))
        was_live = bool(ct.live[row])
        if was_live:
            key = (self.table.eni_name(int(ct.eni[row])), _forward_key(ct.key[row]))
            del self.conns[key]
        for _ in range(2):
            ct_rows.free_row(ct, ct_index, free, top, row)
        assert not ct.live[row]
        self.table.settle()

    @rule(by=st.sampled_from([0.0, 1.0, 4.9, 5.0, 19.0, 30.0, 61.0]))
    def advance(self, by: float) -> None:
        self.now += by

    @rule(more=st.integers(1, 8))
    def reserve(self, more: int) -> None:
        self.table.reserve(more)
        ct, _, _, top = self.table.bulk()
        assert top[0] >= more or ct.live.shape[0] == self.max_rows

    # -- invariants ---------------------------------------------------------------------
    @invariant()
    def rows_live_or_free_once_and_indexed(self) -> None:
        check_conntrack(self.table)
        assert self.table.arrays.live.shape[0] <= self.max_rows

    @invariant()
    def agrees_with_the_model(self) -> None:
        ct = self.table.arrays
        table_conns = {}
        for row in np.flatnonzero(ct.live).tolist():
            key = (self.table.eni_name(int(ct.eni[row])), _forward_key(ct.key[row]))
            table_conns[key] = (int(ct.state[row]), float(ct.expires_s[row]))
        assert table_conns == {k: (c.state, c.expires_s) for k, c in self.conns.items()}
        for name, (capacity, _) in self.enis.items():
            index = self.table.eni_index(name)
            assert ct.eni_count[index] == self._count(name)
            assert ct.eni_capacity[index] == capacity
            assert ct.eni_exceeded[index] == self.exceeded.get(index, 0)
        assert ct.eni_count.sum() == len(self.conns)  # removed ENIs hold no rows


def _forward_key(words: np.ndarray) -> tuple[int, ...]:
    """The FlowTuple key of a row (the ENI number left out)."""
    return ct_rows.decode_key(words)


TestConntrackMachine = ConntrackMachine.TestCase
TestConntrackMachine.settings = settings(MACHINE, max_examples=100)
