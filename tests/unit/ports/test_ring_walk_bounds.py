"""The RX ring walks read offsets and lengths from headers the kernel writes; whatever those
say — random bytes here — the walks read only inside their block or slot, return any
frame reaching past it as RX_SKIP, and equal their interpreted twins."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.ports import tpacket as tp
from smartnic.ports.ring_v2 import V2_MAC, V2_SNAPLEN, V2_STATUS, walk_rx_v2

pytestmark = pytest.mark.boundscheck

BLOCK = 4096


def _inside(rows: list[tuple[int, int, int, int]], low: int, high: int) -> bool:
    return all(flag & tp.RX_SKIP or low <= start <= start + length <= high
               for start, length, flag, _ in rows)


def _v3_ring(seed: int, blocks: int, first: int, plausible: bool) -> np.ndarray:
    """Random bytes; with `plausible`, a chain of headers with small offsets and lengths
    from `first` on (more of them land inside the block, some still past its end)."""
    rng = np.random.default_rng(seed)
    ring = rng.integers(0, 256, BLOCK * blocks, dtype=np.uint8)
    pkt = first
    while plausible and 0 <= pkt and pkt + tp.TPACKET3_HDRLEN <= ring.shape[0]:
        step = int(rng.integers(0, 700)) & ~(tp.V3_ALIGNMENT - 1)
        snaplen = int(rng.integers(0, 1600))
        struct.pack_into("=I8xIIIH", ring.data, pkt, step, snaplen, snaplen,
                         int(rng.integers(0, 256)), int(rng.integers(0, 256)))
        if step == 0:
            break
        pkt += step
    return ring


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), first=st.integers(-64, BLOCK + 64),
       count=st.integers(1, 12), blocks=st.integers(1, 3), plausible=st.booleans())
def test_v3_walk_stays_in_its_block_whatever_the_headers_say(
        seed: int, first: int, count: int, blocks: int, plausible: bool) -> None:
    end = BLOCK * (blocks // 2 + 1)  # the walked block: the first, or one in the middle
    pkt = first + end - BLOCK
    ring = _v3_ring(seed, blocks, pkt, plausible)
    rows = np.zeros((count, 4), np.int64)
    after = tp.walk_rx(ring.view(np.uint32), ring.view(np.uint16), ring, pkt, end, count,
                       rows, 0)
    expected, expected_after = tp.walk_rx_py(ring.data, pkt, end, count)
    assert [tuple(row) for row in rows.tolist()] == expected and after == expected_after
    assert _inside(expected, max(pkt, 0), end)


def test_v3_walk_reads_packets_8_bytes_apart_as_the_kernel_packs_them() -> None:
    """TPACKET_V3 aligns packets within a block to 8 bytes (V3_ALIGNMENT), not 16."""
    ring = np.zeros(BLOCK, np.uint8)
    frames, pkt, mac = [66, 1514, 61, 64], 48, 82  # mac: header + sockaddr_ll, aligned
    starts = []
    for index, snaplen in enumerate(frames):
        step = 0 if index == len(frames) - 1 else -(-(mac + snaplen) // tp.V3_ALIGNMENT) * 8
        struct.pack_into("=I8xIIIH", ring.data, pkt, step, snaplen, snaplen, 0, mac)
        starts.append(pkt + mac)
        pkt += step
    assert any((start - mac) % 16 for start in starts)  # a packet header 8 mod 16
    rows = np.zeros((len(frames), 4), np.int64)
    tp.walk_rx(ring.view(np.uint32), ring.view(np.uint16), ring, 48, BLOCK, len(frames), rows, 0)
    assert [tuple(row[:3]) for row in rows.tolist()] == [(start, snaplen, 0) for start, snaplen
                                                          in zip(starts, frames, strict=True)]


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)),
                        min_size=8, max_size=8),
       first=st.integers(0, 40), max_frames=st.integers(1, 8))
def test_v2_walk_keeps_frames_inside_their_slot(headers: list[tuple[int, int]], first: int,
                                                max_frames: int) -> None:
    slot_bytes, slots = 2048, 8
    ring = np.zeros(slot_bytes * slots, np.uint8)
    words, halves = ring.view(np.uint32), ring.view(np.uint16)
    for slot, (mac, snaplen) in enumerate(headers):
        base = slot * slot_bytes
        words[(base + V2_STATUS) >> 2] = tp.TP_STATUS_USER
        words[(base + V2_SNAPLEN) >> 2] = words[(base + 4) >> 2] = snaplen
        halves[(base + V2_MAC) >> 1] = mac
    rows, twin = np.zeros((8, 4), np.int64), np.zeros((8, 4), np.int64)
    args = (words, halves, ring, first, slot_bytes, slots, max_frames)
    count = walk_rx_v2(*args, rows)
    assert count == walk_rx_v2.py_func(*args, twin) == max_frames
    assert (rows[:count] == twin[:count]).all()
    for i, (start, length, flag, _) in enumerate(rows[:count].tolist()):
        base = (first + i) % slots * slot_bytes
        mac, snaplen = headers[(first + i) % slots]
        assert bool(flag & tp.RX_SKIP) == (mac + snaplen > slot_bytes)
        assert flag & tp.RX_SKIP or base <= start <= start + length <= base + slot_bytes
