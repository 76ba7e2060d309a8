"""The TPACKET_V2 RX walk (numba) against its interpreted twin, on a synthetic ring."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.ports import tpacket as tp
from smartnic.ports.ring_v2 import (
    V2_LEN,
    V2_MAC,
    V2_SLL_PKTTYPE,
    V2_SNAPLEN,
    V2_STATUS,
    V2_VLAN_TCI,
    release_v2,
    walk_rx_v2,
)

SLOT = 2048
SLOTS = 16
SLOT_STATE = st.tuples(st.booleans(), st.integers(60, 1500), st.sampled_from([0, 4]),
                       st.booleans(), st.booleans())


def _ring(states: list[tuple[bool, int, int, bool, bool]]) -> np.ndarray:
    ring = np.zeros(SLOT * SLOTS, np.uint8)
    words, halves = ring.view(np.uint32), ring.view(np.uint16)
    for slot, (ready, length, pkttype, vlan, truncated) in enumerate(states):
        base = slot * SLOT
        status = (tp.TP_STATUS_USER if ready else 0) | (tp.TP_STATUS_VLAN_VALID if vlan else 0)
        words[(base + V2_STATUS) >> 2] = status
        words[(base + V2_LEN) >> 2] = length + (1 if truncated else 0)
        words[(base + V2_SNAPLEN) >> 2] = length
        halves[(base + V2_MAC) >> 1] = 66
        halves[(base + V2_VLAN_TCI) >> 1] = 42
        ring[base + V2_SLL_PKTTYPE] = pkttype
    return ring


@settings(max_examples=150, deadline=None)
@given(st.lists(SLOT_STATE, min_size=SLOTS, max_size=SLOTS), st.integers(0, SLOTS - 1),
       st.integers(1, SLOTS))
def test_walk_matches_twin_and_stops_at_the_first_busy_slot(states, first, max_frames) -> None:
    ring = _ring(states)
    rows_fast, rows_twin = np.zeros((SLOTS, 4), np.int64), np.zeros((SLOTS, 4), np.int64)
    args = (ring.view(np.uint32), ring.view(np.uint16), ring, first, SLOT, SLOTS, max_frames)
    count = walk_rx_v2(*args, rows_fast)
    assert count == walk_rx_v2.py_func(*args, rows_twin)
    assert (rows_fast[:count] == rows_twin[:count]).all()
    expected = 0
    while expected < max_frames and states[(first + expected) % SLOTS][0]:
        expected += 1
    assert count == expected
    for row, i in zip(rows_fast[:count], range(count), strict=True):
        ready, length, pkttype, vlan, truncated = states[(first + i) % SLOTS]
        assert row[0] == ((first + i) % SLOTS) * SLOT + 66 and row[1] == length
        skipped = pkttype == tp.PACKET_OUTGOING or truncated
        assert bool(row[2] & tp.RX_SKIP) == skipped
        assert bool(row[2] & tp.RX_VLAN) == (vlan and not skipped)
    release_v2(ring.view(np.uint32), first, count, SLOT, SLOTS)
    assert walk_rx_v2(*args, rows_fast) == 0 or not states[first][0] or count == SLOTS
