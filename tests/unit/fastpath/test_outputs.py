"""What the fast path writes equals what the slow path writes: frames byte for byte
(`runner.overlay_frame` / the ToVm MAC rewrite), flow-log records of aggregated slots
(per-packet observations), and the byte/checksum helpers their reference definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from smartnic.dataplane.actions import LogPacket, ToUnderlay, ToVm
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import parse as p
from smartnic.dataplane.fastpath import replay as r
from smartnic.dataplane.fastpath import wire
from smartnic.dataplane.fastpath.columns import (
    I_END,
    I_IP_TOTAL,
    I_ROW,
    I_START,
    I_STATUS,
    I_TCP_FLAGS,
    INFO_COLUMNS,
)
from smartnic.dataplane.fastpath.logslots import LogSlots
from smartnic.dataplane.fastpath.tunnels import Tunnels
from smartnic.dataplane.runner import overlay_frame
from smartnic.packet.checksum import internet_checksum
from smartnic.telemetry.flowlogs import (
    DEFAULT_FIELDS,
    EniLogContext,
    FlowLogCollector,
    FlowLogSpec,
    FlowObservation,
)
from smartnic.telemetry.flowlogs.aggregate import reduce_tcp_flags

OWN_IP = 0xC6120001
macs = st.binary(min_size=6, max_size=6)
outputs = st.one_of(
    st.builds(ToVm, st.just("eni-b"), macs, macs),
    st.builds(ToUnderlay, st.just("host-2"), st.integers(1, 2**32 - 1), st.integers(0, 2**24 - 1),
              st.one_of(st.none(), st.integers(0, 0xFFFF)), macs, macs,
              st.integers(49152, 65535)))


@settings(max_examples=200, deadline=None)
@given(cases=st.lists(st.tuples(outputs, st.binary(min_size=14, max_size=1600)), min_size=1,
                      max_size=5), kind=st.sampled_from(["vxlan", "geneve"]))
def test_emitted_frames_equal_the_runner_s(cases: list[tuple[ToVm | ToUnderlay, bytes]],
                                           kind: str) -> None:
    tunnels = Tunnels(OWN_IP, kind)  # type: ignore[arg-type]
    env = a.CompileEnv(lambda name: 5, lambda eni: 0, tunnels, LogSlots(), frozenset())
    count = len(cases)
    acts = np.zeros((count, a.ACT_COLUMNS), np.int64)
    info = np.zeros((INFO_COLUMNS, count), np.int64)
    begin = 0
    for i, (output, frame) in enumerate(cases):
        a._output(acts[i], output, env)
        info[[I_STATUS, I_START, I_END, I_ROW], i] = (p.OK, begin, begin + len(frame), i)
        begin += len(frame)
    buf = np.frombuffer(b"".join(frame for _, frame in cases), np.uint8)
    out_buf, out_table = np.zeros(begin + 64 * count, np.uint8), np.zeros((4, count), np.int64)
    out_length, tally = np.zeros(count, np.int32), np.zeros(r.TALLY_RX, np.int64)
    r.emit(0, count, buf, info, acts, tunnels.arrays.header, tunnels.arrays.info, out_buf,
           out_table, out_length, tally)
    for i, (output, frame) in enumerate(cases):
        start = out_table[r.R_START, i]
        written = out_buf[start:start + out_length[i]].tobytes()
        if isinstance(output, ToVm):
            assert written == output.eth_dst + output.eth_src + frame[12:]
        else:
            assert written == overlay_frame(kind, OWN_IP, output, frame)  # type: ignore[arg-type]


EFFECT = LogPacket("eni-a", "egress", "ACCEPT", 1, 4, "10.0.1.10", "10.0.1.20", 40000, 80, 6)
CONTEXT = EniLogContext("eni-a", "123456789010", "vpc-a", "subnet-1", None, "10.0.1.10",
                        frozenset({"10.0.1.10"}))


@settings(max_examples=100, deadline=None)
@given(packets=st.lists(st.tuples(st.integers(0, 255), st.integers(40, 1500)), min_size=1,
                        max_size=20), max_flows=st.sampled_from([None, 1]))
def test_flushed_slots_make_the_records_of_per_packet_observations(
        packets: list[tuple[int, int]], max_flows: int | None) -> None:
    spec = FlowLogSpec("fl-1", frozenset({"eni-a"}), "ALL", DEFAULT_FIELDS, 60)
    per_packet, aggregated = (FlowLogCollector([spec], {"eni-a": CONTEXT}, 0.0,
                                               max_flows_per_window=max_flows) for _ in "ab")
    for flags, length in packets:
        per_packet.observe(FlowObservation(
            "eni-a", "egress", "ACCEPT", 4, "10.0.1.10", "10.0.1.20", 40000, 80, 6, length,
            flags, 1, 30.0))
    slots = LogSlots(capacity=1)
    acts = np.full((1, a.ACT_COLUMNS), -1, np.int64)
    acts[0, a.A_LOG[0]] = slots.allocate(EFFECT)
    info = np.zeros((INFO_COLUMNS, len(packets)), np.int64)
    info[I_TCP_FLAGS], info[I_IP_TOTAL] = [f for f, _ in packets], [n for _, n in packets]
    info[I_ROW] = 0
    tally = np.zeros(r.TALLY_RX + 1, np.int64)
    r.account(0, len(packets), info, acts, slots.arrays.acc, slots.arrays.order, tally)
    slots.flush(aggregated, 30.0, int(tally[r.T_LOGGED]))
    assert [x.line for x in per_packet.flush(60.0)] == [x.line for x in aggregated.flush(60.0)]


def test_flag_reduction_is_fl_r8() -> None:
    for raw in range(256):
        assert wire.reduced_flags(raw) == wire.reduced_flags.py_func(raw) == reduce_tcp_flags(raw)


@njit(cache=True)
def _reads(buf: np.ndarray, at: int) -> tuple[int, int, np.uint64]:
    return wire.be16(buf, at), wire.be32(buf, at), wire.be64(buf, at)


@njit(cache=True)
def _copy(dst: np.ndarray, dst_at: int, src: np.ndarray, src_at: int, count: int) -> None:
    wire.copy_bytes(dst, dst_at, src, src_at, count)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=8, max_size=64), at=st.integers(0, 56), count=st.integers(0, 8))
def test_lowered_byte_access_equals_its_python_definition(data: bytes, at: int,
                                                          count: int) -> None:
    buf = np.frombuffer(data, np.uint8)
    at = min(at, len(data) - 8)
    assert _reads(buf, at) == (wire.be16(buf, at), wire.be32(buf, at), wire.be64(buf, at))
    compiled, python = np.zeros(80, np.uint8), np.zeros(80, np.uint8)
    _copy(compiled, 3, buf, at, count)
    wire.copy_bytes(python, 3, buf, at, count)
    assert np.array_equal(compiled, python)


@settings(max_examples=300, deadline=None)
@given(header=st.binary(min_size=20, max_size=20))
def test_checksum_helpers_decide_as_internet_checksum(header: bytes) -> None:
    words = sum(int.from_bytes(header[i:i + 4], "big") for i in range(0, 20, 4))
    assert wire.checksum_ok(words) == (internet_checksum(header) == 0)
    blank = header[:2] + bytes(2) + header[4:10] + bytes(2) + header[12:]
    base = sum(int.from_bytes(blank[i:i + 2], "big") for i in range(0, 20, 2))
    total = int.from_bytes(header[2:4], "big")
    expected = internet_checksum(blank[:2] + header[2:4] + blank[4:])
    assert wire.ipv4_header_checksum(base, total) == expected
    assert wire.ipv4_header_checksum.py_func(base, total) == expected
