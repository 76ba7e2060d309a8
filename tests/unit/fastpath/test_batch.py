"""Batches: frames round-trip; `repeat` + `patch_be16` build many valid flows without
per-packet Python; `FastPath.process` without a slow path lists its punts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from smartnic.dataplane.fastpath import VM_SIDE, PacketBatch
from smartnic.model import Config
from smartnic.packet import build_frame, parse_frame
from smartnic.scenarios.sends import build_send
from tests.unit.fastpath.fp_world import OPEN, World


@given(frames=st.lists(st.binary(max_size=100), max_size=8))
def test_frames_round_trip(frames: list[bytes]) -> None:
    assert PacketBatch.from_frames(frames).frames() == frames


@given(ports=st.lists(st.integers(0, 65535), min_size=1, max_size=20), udp=st.booleans())
def test_patched_copies_stay_well_formed(ports: list[int], udp: bool) -> None:
    frame = build_frame(eth_src=bytes(6), eth_dst=bytes(6), ip_version=4, src_ip=1, dst_ip=2,
                        proto=17 if udp else 6, sport=1, dport=2, payload=b"x" * 10)
    batch = PacketBatch.repeat(frame, len(ports), stride=128)
    batch.patch_be16(34, np.array(ports), checksum_at=40 if udp else 50, udp=udp)
    for port, patched in zip(ports, batch.frames(), strict=True):
        assert parse_frame(patched).sport == port


def test_without_a_slow_path_punts_are_listed(build_t1: Callable[..., Config]) -> None:
    world = World(build_t1(OPEN), fastpath=True)
    fast = world.engines["host-1"].fastpath
    assert fast is not None
    spec = {"from": "eni-a", "dst": "10.0.1.20", "proto": "udp", "sport": 1, "dport": 2}
    frame = build_send(world.program, spec).frames[0]
    emissions, punted = fast.process(VM_SIDE, fast.port_index("vm:eni-a"),
                                     PacketBatch.from_frames([frame, b"junk", frame]))
    assert punted.tolist() == [0, 1, 2] and len(emissions) == 0  # a miss, garbage, a miss
    world.step([("eni-a", [frame])])  # the slow path decides and installs
    emissions, punted = fast.process(VM_SIDE, fast.port_index("vm:eni-a"),
                                     PacketBatch.from_frames([frame, b"junk", frame]))
    assert punted.tolist() == [1] and emissions.source.tolist() == [0, 2]
    assert [fast.port_names[p] for p in emissions.port] == ["underlay", "underlay"]
