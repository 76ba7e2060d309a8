"""The edges where a kernel once could index outside its arrays, each pinned down.

Table sizes that are not powers of two, tables without rows, frees of rows already free,
empty and full slot stacks, a connection table at `max_rows` (expired rows make room,
admission never half-decides a flow), output frames that share the bytes of their
batch, tunnel templates longer than the arena reserves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from smartnic.dataplane.actions import ToUnderlay
from smartnic.dataplane.conntrack.key import flow_tuple
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts
from smartnic.dataplane.fastpath import flowtable as ft
from smartnic.dataplane.fastpath import logslots as ls
from smartnic.dataplane.fastpath import tunnels
from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.dataplane.fastpath.flowkey import VM_SIDE, key_words
from smartnic.model import Config
from smartnic.scenarios.sends import build_send
from tests.property.prop_support import SAME_HOST
from tests.unit.dataplane.table_checks import check_conntrack, check_flow_table
from tests.unit.fastpath.fp_world import OPEN, World

pytestmark = pytest.mark.boundscheck

T0 = 1000.0
UDP = {"from": "eni-a", "dst": "10.0.1.20", "proto": "udp", "dport": 53}


def words(n: int) -> np.ndarray:
    return key_words((0, 1, 4, 0x0A000000 + n, 0x0A000001, 17, n, 53, 0, 0, 0))


@pytest.mark.parametrize(("max_rows", "initial"), [(1, 1), (3, 2), (5, 5), (1000, 7),
                                                   (1500, 1024)])
def test_flow_table_slots_are_a_power_of_two_for_any_size(max_rows: int, initial: int) -> None:
    table = ft.FlowTable(max_rows=max_rows, initial_rows=initial)
    for n in range(max_rows + 40):  # grows to max_rows, then evicts
        table.insert(words(n))
        assert table.arrays.slots.shape[0] == ft.slot_count(table.rows)
    assert table.rows == max_rows == len(table)
    check_flow_table(table)


def test_tables_without_rows_are_refused() -> None:
    for make in (lambda: ft.FlowTable(max_rows=0), lambda: ft.FlowTable(initial_rows=0),
                 lambda: ConntrackTable(max_rows=0), lambda: ls.LogSlots(capacity=0)):
        with pytest.raises(ValueError):
            make()


def test_removing_a_free_flow_row_changes_nothing() -> None:
    table = ft.FlowTable(max_rows=4, initial_rows=4)
    row, _ = table.insert(words(1))
    assert table.remove(row) and not table.remove(row) and not table.remove(3)
    assert table.arrays.meta[ft.M_TOP] == 4
    check_flow_table(table)


def test_log_slot_stack_edges() -> None:
    free, top = np.arange(2, dtype=np.int64), np.array([0], np.int64)
    acc = np.ones((2, 3), np.int64)
    assert ls.take_slot(free, top) == -1 and top[0] == 0  # empty: nothing taken
    top[0] = 2
    ls.give_slot(acc, free, top, 1)  # full: a slot given back twice is not pushed
    assert top[0] == 2 and free.tolist() == [0, 1] and acc[1].tolist() == [0, 0, 0]


def test_sweeping_an_unknown_eni_number_is_refused() -> None:
    table = ConntrackTable()
    table.configure_eni("eni-x", 4, ConntrackTimeouts())
    for number in (-1, 1):
        with pytest.raises(ValueError):
            table.sweep(number, T0)


def test_expired_rows_make_room_at_max_rows() -> None:
    """SG-R24/R25 at the table's own limit: a full table frees every ENI's expired rows
    (once a second at most) before it refuses."""
    table = ConntrackTable(max_rows=2)
    timeouts = ConntrackTimeouts(udp_s=30.0)
    for eni in ("eni-x", "eni-y"):
        table.configure_eni(eni, 100, timeouts)
    flows = [flow_tuple(4, 17, 0x0A000001, 0x0A000002, sport, 53) for sport in (1, 2, 3, 4)]
    assert table.create("eni-x", flows[0], "egress", T0) is not None  # type: ignore[arg-type]
    assert table.create("eni-y", flows[1], "egress", T0 + 10) is not None  # type: ignore[arg-type]
    for at in (20.0, 29.5, 30.2):  # nothing expired; then expired, but swept 0.7 s ago
        assert table.create("eni-x", flows[2], "egress", T0 + at) is None  # type: ignore[arg-type]
    assert table.create("eni-x", flows[2], "egress", T0 + 30.6) is not None  # type: ignore[arg-type]
    assert table.counters("eni-x", T0 + 30.6)["conntrack_allowance_exceeded"] == 3
    assert [len(table.entries(e)) for e in ("eni-x", "eni-y")] == [1, 1]
    check_conntrack(table)


def _capped(world: World, max_rows: int) -> World:
    for engine in world.engines.values():
        engine.ctx.conntrack = ConntrackTable(max_rows=max_rows)
        engine.load(world.program)
    return world


def test_admission_never_half_decides_a_flow_at_max_rows(
        build_t1: Callable[..., Config]) -> None:
    """A same-host flow needs two new rows (sender and receiver); with one left, the
    kernel leaves the packet to the slow path, which takes the sender's and refuses at
    the receiver (and the next flow at the sender) — as engines without the fast path do."""
    config = build_t1({**OPEN, "hosts": SAME_HOST})
    worlds = [_capped(World(config, fastpath=fast), 5) for fast in (True, False)]
    flows = [UDP | {"sport": 40000 + n} for n in range(4)]
    outputs = [w.step([("eni-a", [f for s in flows for f in build_send(w.program, s).frames])])
               for w in worlds]
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2  # two flows delivered
    assert worlds[0].state() == worlds[1].state()
    counters = worlds[0].engines["host-1"].ctx.counters
    for eni in ("eni-a", "eni-b"):
        assert counters.of(eni)["drop.conntrack_full.conntrack_table_full"] == 1
    check_conntrack(worlds[0].engines["host-1"].ctx.conntrack)


def test_output_arena_holds_frames_that_share_the_batch_s_bytes(
        build_t1: Callable[..., Config]) -> None:
    """Frames of a batch may overlap in its buffer (ring slots, repeated frames): the
    arena is sized by their lengths, not by the buffer."""
    world = World(build_t1(OPEN), fastpath=True)
    frame, = build_send(world.program, UDP | {"sport": 40000}).frames
    out = world.step([("eni-a", [frame])])  # admitted: later copies hit
    (first,) = [f for host, _, f in out if host == "host-1"]
    engine = world.engines["host-1"]
    fast = engine.fastpath
    assert fast is not None
    count = 64
    batch = PacketBatch(np.frombuffer(frame, np.uint8), np.zeros(count, np.int64),
                        np.full(count, len(frame), np.int32))
    result = fast.process(VM_SIDE, fast.port_index("vm:eni-a"), batch)
    emitted = result.emissions.batch
    assert len(emitted) == count and result.punted.shape[0] == 0
    assert set(emitted.frames()) == {first}


def test_tunnel_templates_longer_than_the_arena_reserves_are_refused(
        build_t1: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(build_t1(OPEN), fastpath=True)
    fast = world.engines["host-1"].fastpath
    assert fast is not None
    real = tunnels.overlay_frame

    def padded(*args: Any) -> bytes:
        frame = real(*args)
        return frame[:42] + bytes(tunnels.MAX_HEADER_BYTES) + frame[42:]

    monkeypatch.setattr(tunnels, "overlay_frame", padded)
    host = world.program.hosts["host-2"]
    with pytest.raises(ValueError, match="do not fit"):
        fast.tunnels.index(ToUnderlay(host.id, host.underlay_ip, 5, 17, b"", b"", 0))
