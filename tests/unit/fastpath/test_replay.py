"""The replay passes: `settle` decides and touches connections exactly as `ct_alive` +
`tcp_reopens` + `ct_touch` (the slow path's kernels, as oracle) would packet by packet;
`settle`, `account` and `emit` equal their interpreted twins."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.dataplane.conntrack import states as cs
from smartnic.dataplane.conntrack.arrays import TCP_STATE_COLUMN, allocate, ct_alive, ct_touch
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import flowtable as ft
from smartnic.dataplane.fastpath import parse as p
from smartnic.dataplane.fastpath import replay as r
from smartnic.dataplane.fastpath.columns import (
    I_END,
    I_IP_TOTAL,
    I_ROW,
    I_START,
    I_STATUS,
    I_TCP_FLAGS,
    INFO_COLUMNS,
)
from smartnic.dataplane.fastpath.flowkey import key_words
from tests.unit.fastpath.twins import interpreted

NOW = 1000.0
GENERATION = 3
STATES = {cs.CLASS_TCP: 9, cs.CLASS_UDP: 4, cs.CLASS_ICMP: 2, cs.CLASS_OTHER: 1}


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    """Four connections, three flow entries referring to them, packets of those flows."""
    ct = allocate(4, 2)
    for row in range(4):
        cls = draw(st.sampled_from(sorted(STATES)))
        ct.proto_class[row], ct.state[row] = cls, draw(st.integers(0, STATES[cls] - 1))
        ct.live[row], ct.incarnation[row] = draw(st.sampled_from([1, 1, 1, 0])), row % 2
        ct.expires_s[row] = NOW + draw(st.sampled_from([-5.0, 0.0, 3.0, 100.0]))
        ct.eni[row] = draw(st.integers(0, 1))
    ct.timeouts_s[:] = np.arange(1, 25, dtype=np.float64).reshape(2, 12) * 10
    table = ft.FlowTable(max_rows=8)
    for entry in range(3):
        row, _ = table.insert(key_words((0, 1, 4, entry, 2, 17, 1, 2, 0, 0, 0)))
        acts = table.arrays.acts[row]
        acts[a.A_GENERATION] = draw(st.sampled_from([GENERATION] * 4 + [GENERATION - 1]))
        acts[a.A_MTU], acts[a.A_KIND], acts[a.A_RX_ENI] = 1500, a.KIND_VM, -1
        acts[list(a.A_LOG)] = -1
        refs = draw(st.lists(st.integers(0, 3), max_size=2, unique=True))
        acts[a.A_CT_COUNT] = len(refs)
        for column, ct_row in zip(a.A_CT, refs, strict=False):
            acts[column:column + 3] = (ct_row, draw(st.sampled_from([ct_row % 2] * 3 + [7])),
                                       draw(st.booleans()))
    count = draw(st.integers(1, 10))
    keys = np.zeros((count, 8), np.uint64)
    info = np.zeros((INFO_COLUMNS, count), np.int64)
    for i in range(count):
        entry = draw(st.integers(0, 3))  # 3: a miss
        keys[i] = key_words((0, 1, 4, entry, 2, 17, 1, 2, 0, 0, 0))
        info[I_TCP_FLAGS, i] = draw(st.integers(0, 255))
        info[I_IP_TOTAL, i] = draw(st.sampled_from([60, 1400, 1600]))
    return {"ct": ct, "table": table, "keys": keys, "info": info}


def settle_all(world: dict[str, Any]) -> list[int]:
    """Every packet through `settle`, the way FastPath.process resumes after a punt."""
    ct, fa, info = world["ct"], world["table"].arrays, world["info"]
    out, tally = np.zeros((4, info.shape[1]), np.int64), np.zeros(32, np.int64)
    position = 0
    while position < info.shape[1]:
        stop = r.settle(position, info.shape[1], True, NOW, GENERATION, world["keys"], info,
                        fa.slots, fa.keys, fa.acts, ct.live, ct.incarnation,
                        ct.expires_s, ct.state, ct.proto_class, ct.eni, ct.packets, ct.bytes,
                        ct.last_seen_s, ct.timeouts_s, TCP_STATE_COLUMN, out, tally)
        position = stop + 1
    return info[I_STATUS].tolist()


def oracle(world: dict[str, Any]) -> list[int]:
    """`ActionRunner.is_current` + `run`, with the conntrack kernels of the slow path."""
    ct, acts, statuses = world["ct"], world["table"].arrays.acts, []
    for i in range(world["info"].shape[1]):
        row = world["table"].find(world["keys"][i])
        flags, length = int(world["info"][I_TCP_FLAGS, i]), int(world["info"][I_IP_TOTAL, i])
        refs = [] if row < 0 else [
            (int(acts[row, c]), int(acts[row, c + 1]), bool(acts[row, c + 2]))
            for c in a.A_CT[:acts[row, a.A_CT_COUNT]]]
        if row < 0:
            status = p.PUNT_MISS
        elif acts[row, a.A_GENERATION] != GENERATION:
            status = p.PUNT_STALE
        elif length > acts[row, a.A_MTU]:
            status = p.PUNT_MTU
        elif not all(ct_alive(ct, ct_row, inc, NOW) and not (
                ct.proto_class[ct_row] == cs.CLASS_TCP
                and cs.tcp_reopens(ct.state[ct_row], flags, reply)) for ct_row, inc, reply in refs):
            status = p.PUNT_CONNTRACK
        else:
            status = p.OK
            for ct_row, _, reply in refs:
                assert ct_touch(ct, ct_row, reply, flags, length, NOW, TCP_STATE_COLUMN)
        statuses.append(status)
    return statuses


@settings(max_examples=300, deadline=None)
@given(world=worlds())
def test_settle_equals_the_conntrack_kernels(world: dict[str, Any]) -> None:
    expected = copy.deepcopy(world)
    assert settle_all(world) == oracle(expected)
    for mine, theirs in zip(world["ct"], expected["ct"], strict=True):
        assert np.array_equal(mine, theirs)


@settings(max_examples=100, deadline=None)
@given(world=worlds())
def test_settle_equals_its_twin(world: dict[str, Any]) -> None:
    twin = copy.deepcopy(world)
    statuses = settle_all(world)
    with interpreted():
        assert settle_all(twin) == statuses
    for mine, theirs in zip([*world["ct"], world["info"]], [*twin["ct"], twin["info"]],
                            strict=True):
        assert np.array_equal(mine, theirs)


@settings(max_examples=100, deadline=None)
@given(frames=st.lists(st.binary(min_size=14, max_size=90), min_size=1, max_size=6),
       kinds=st.lists(st.sampled_from([a.KIND_VM, a.KIND_UNDERLAY]), min_size=6, max_size=6),
       slots=st.lists(st.sampled_from([-1, 0, 1]), min_size=12, max_size=12),
       flags=st.lists(st.integers(0, 255), min_size=6, max_size=6))
def test_account_and_emit_equal_their_twins(frames: list[bytes], kinds: list[int],
                                            slots: list[int], flags: list[int]) -> None:
    count = len(frames)
    buf = np.frombuffer(b"".join(frames), np.uint8)
    acts = np.zeros((count, a.ACT_COLUMNS), np.int64)
    info = np.zeros((INFO_COLUMNS, count), np.int64)
    header = np.arange(2 * 64, dtype=np.uint8).reshape(2, 64)
    tunnel_info = np.array([[50, 1234], [58, 999]], np.int64)
    begin = 0
    for i, frame in enumerate(frames):
        acts[i, [a.A_KIND, a.A_TUNNEL, a.A_PORT, a.A_DST_MAC, a.A_SRC_MAC]] = (
            kinds[i], i % 2, i, 0x0A0B0C0D0E0F + i, 0x020000000001, )
        acts[i, list(a.A_LOG)] = slots[2 * i:2 * i + 2]
        acts[i, a.A_RX_ENI] = i % 3 - 1
        info[[I_STATUS, I_START, I_END, I_ROW, I_TCP_FLAGS, I_IP_TOTAL], i] = (
            p.OK if i % 4 else p.PUNT_MISS, begin, begin + len(frame), i, flags[i], len(frame))
        begin += len(frame)
    results = []
    for twin in (False, True):
        out_buf, out_table = np.zeros(count * 200, np.uint8), np.zeros((4, count), np.int64)
        out_length, tally = np.zeros(count, np.int32), np.zeros(r.TALLY_RX + 4, np.int64)
        acc, order = np.zeros((2, 3), np.int64), np.zeros(2, np.int64)
        with interpreted() if twin else np.errstate():
            r.account(0, count, info, acts, acc, order, tally)
            r.emit(0, count, buf, info, acts, header, tunnel_info, out_buf, out_table,
                   out_length, tally)
        results.append((out_buf, out_table, out_length, tally, acc, order))
    for mine, theirs in zip(*results, strict=True):
        assert np.array_equal(mine, theirs)
