"""VM-side classification: compiled kernels equal their interpreted twins, and agree with
the slow path's parser — what they accept, `parse_frame` accepts with the same fields and
`keys.flow_key` gives the same key; what `parse_frame` rejects, they never accept."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from smartnic.dataplane import l2
from smartnic.dataplane.fastpath import PacketBatch, key_words
from smartnic.dataplane.fastpath import classify as c
from smartnic.dataplane.fastpath import parse as p
from smartnic.dataplane.fastpath.columns import (
    I_IP_TOTAL,
    I_STATUS,
    I_TCP_FLAGS,
    INFO_COLUMNS,
)
from smartnic.dataplane.keys import flow_key, vm_origin
from smartnic.packet import MalformedPacket, parse_frame
from tests.unit.fastpath.fp_frames import MAC_A, frame_lists
from tests.unit.fastpath.twins import interpreted

TAG = 0x1234


def classify(frames: list[bytes], *, twin: bool = False) -> tuple[np.ndarray, np.ndarray]:
    batch = PacketBatch.from_frames(frames)
    keys = np.zeros((len(frames), 8), np.uint64)
    info = np.zeros((INFO_COLUMNS, len(frames)), np.int64)
    mac = int.from_bytes(MAC_A, "big")
    if twin:
        with interpreted():  # the kernel itself is swapped for its twin too
            c.classify_vm(batch.buf, batch.start, batch.length, mac, TAG, keys, info)
    else:
        c.classify_vm(batch.buf, batch.start, batch.length, mac, TAG, keys, info)
    return keys, info


@settings(max_examples=150, deadline=None)
@given(frames=frame_lists(1, 6))
def test_compiled_equals_interpreted(frames: list[bytes]) -> None:
    compiled, twin = classify(frames), classify(frames, twin=True)
    assert np.array_equal(compiled[0], twin[0]) and np.array_equal(compiled[1], twin[1])


@settings(max_examples=400, deadline=None)
@given(frames=frame_lists(8, 8))
def test_accepts_only_what_the_slow_path_accepts_with_the_same_key(frames: list[bytes]) -> None:
    keys, info = classify(frames)
    for i, frame in enumerate(frames):
        try:
            pkt = parse_frame(frame)
        except MalformedPacket:
            assert info[I_STATUS, i] != p.OK
            continue
        if info[I_STATUS, i] != p.OK:
            continue
        assert pkt.vlan_id is None and not pkt.is_fragment and not l2.is_l2_control(pkt)
        assert pkt.eth_src == MAC_A
        assert np.array_equal(keys[i], key_words(flow_key(vm_origin(TAG), pkt)))
        assert info[I_IP_TOTAL, i] == pkt.ip_total_length
        assert info[I_TCP_FLAGS, i] == pkt.tcp_flags


def test_well_formed_frames_are_accepted() -> None:
    from tests.unit.fastpath.fp_frames import ip_frames

    @settings(max_examples=100, deadline=None)
    @given(frame=ip_frames())
    def accepted(frame: bytes) -> None:
        keys, info = classify([frame])
        try:
            pkt = parse_frame(frame)
        except MalformedPacket:  # e.g. a neighbour solicitation without its target
            return
        handled = pkt.proto in (6, 17) or (pkt.proto, pkt.ip_version) in ((1, 4), (58, 6))
        if handled and not l2.is_l2_control(pkt) and pkt.icmp_type not in (133, 134):
            assert info[I_STATUS, 0] == p.OK, p.PUNT_REASONS[info[I_STATUS, 0]]

    accepted()


def test_a_foreign_source_mac_is_left_to_the_slow_path() -> None:
    from smartnic.packet import build_frame

    frame = build_frame(eth_src=bytes(6), eth_dst=MAC_A, ip_version=4, src_ip=1, dst_ip=2,
                        proto=17, sport=1, dport=2)
    _, info = classify([frame])
    assert info[I_STATUS, 0] == p.PUNT_SOURCE
