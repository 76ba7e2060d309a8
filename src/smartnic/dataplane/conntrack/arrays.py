"""Connection-tracking storage as numpy arrays, shared by the slow path and numba kernels.

One row per tracked connection (struct of arrays). A row is named by (row, incarnation):
freeing a row bumps its incarnation, so a stale reference (a cached flow action) can tell
its connection is gone even after the row was reused.

    key          uint64[N, 5]  w0 = eni << 40 | proto << 32 | a_port << 16 | b_port,
                               w1, w2 = a address (high, low 64 bits), w3, w4 = b address;
                               IPv4 as ::ffff:a.b.c.d so families never collide
    eni          uint32[N]     index of the ENI the connection belongs to
    state        uint8[N]      states.py (TCP/UDP/ICMP/other)
    proto_class  uint8[N]
    origin       uint8[N]      ORIGIN_EGRESS | ORIGIN_INGRESS (direction of the first packet)
    live         uint8[N]
    incarnation  uint32[N]
    expires_s    float64[N]
    last_seen_s  float64[N]
    packets      uint32[N, 2]  [original, reply]
    bytes        uint64[N, 2]
    timeouts_s   float64[E, 12] per ENI, in TIMEOUT_FIELDS order
    eni_capacity, eni_count, eni_exceeded  int64[E]   SG-R25 capacity and its counters
    eni_opened   int64[E]      connections ever opened (rows filled; a reopen counts)
    eni_swept_s  float64[E]    when the ENI's expired rows were last freed
About 100 bytes per row plus the index (two int32 slots per row).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.kernel import inline_kernel

ORIGIN_EGRESS = 0
ORIGIN_INGRESS = 1

# Column order of timeouts_s, matching ConntrackTimeouts' field names.
TIMEOUT_FIELDS = (
    "tcp_established_s", "udp_stream_s", "udp_s", "other_s", "icmp_s", "tcp_syn_sent_s",
    "tcp_syn_recv_s", "tcp_fin_wait_s", "tcp_close_wait_s", "tcp_last_ack_s",
    "tcp_time_wait_s", "tcp_close_s",
)
T_TCP_ESTABLISHED, T_UDP_STREAM, T_UDP, T_OTHER, T_ICMP = 0, 1, 2, 3, 4
# TCP state -> timeouts_s column (NONE waits like SYN_SENT: a packet always moves it on)
TCP_STATE_COLUMN = np.array([5, 5, 6, 0, 7, 8, 9, 10, 11], dtype=np.int64)


class CtArrays(NamedTuple):
    key: np.ndarray
    eni: np.ndarray
    state: np.ndarray
    proto_class: np.ndarray
    origin: np.ndarray
    live: np.ndarray
    incarnation: np.ndarray
    expires_s: np.ndarray
    last_seen_s: np.ndarray
    packets: np.ndarray
    bytes: np.ndarray
    timeouts_s: np.ndarray
    eni_capacity: np.ndarray
    eni_count: np.ndarray
    eni_exceeded: np.ndarray
    eni_opened: np.ndarray
    eni_swept_s: np.ndarray


PER_ENI_FIELDS = ("timeouts_s", "eni_capacity", "eni_count", "eni_exceeded", "eni_opened",
                  "eni_swept_s")


def allocate(rows: int, enis: int) -> CtArrays:
    return CtArrays(
        key=np.zeros((rows, 5), np.uint64), eni=np.zeros(rows, np.uint32),
        state=np.zeros(rows, np.uint8), proto_class=np.zeros(rows, np.uint8),
        origin=np.zeros(rows, np.uint8), live=np.zeros(rows, np.uint8),
        incarnation=np.zeros(rows, np.uint32), expires_s=np.zeros(rows, np.float64),
        last_seen_s=np.zeros(rows, np.float64), packets=np.zeros((rows, 2), np.uint32),
        bytes=np.zeros((rows, 2), np.uint64), timeouts_s=np.zeros((enis, 12), np.float64),
        eni_capacity=np.zeros(enis, np.int64), eni_count=np.zeros(enis, np.int64),
        eni_exceeded=np.zeros(enis, np.int64), eni_opened=np.zeros(enis, np.int64),
        eni_swept_s=np.full(enis, -np.inf),
    )


@inline_kernel
def timeout_s(timeouts: np.ndarray, proto_class: int, state: int,
              tcp_columns: np.ndarray) -> float:
    """Idle timeout of a connection in `state` (SG-R24), from its ENI's row of timeouts."""
    if proto_class == st.CLASS_TCP:
        return timeouts[tcp_columns[state]]
    if proto_class == st.CLASS_UDP:
        return timeouts[T_UDP_STREAM] if state == st.UDP_STREAM else timeouts[T_UDP]
    if proto_class == st.CLASS_ICMP:
        return timeouts[T_ICMP]
    return timeouts[T_OTHER]


@inline_kernel
def ct_alive(ct: CtArrays, row: int, incarnation: int, now_s: float) -> bool:
    return (ct.live[row] == 1 and ct.incarnation[row] == incarnation
            and ct.expires_s[row] > now_s)


@inline_kernel
def ct_touch(ct: CtArrays, row: int, is_reply: bool, tcp_flags: int, length_bytes: int,
             now_s: float, tcp_columns: np.ndarray) -> bool:
    """Account one packet to a live row; False when the packet must start a new connection
    instead (a fresh SYN on a finished TCP connection) — the caller frees the row."""
    cls, state = ct.proto_class[row], ct.state[row]
    if cls == st.CLASS_TCP:
        if st.tcp_reopens(state, tcp_flags, is_reply):
            return False
        state = st.tcp_next_state(state, tcp_flags, is_reply)
    elif cls == st.CLASS_UDP:
        state = st.udp_next_state(state, is_reply)
    elif cls == st.CLASS_ICMP:
        state = st.icmp_next_state(state, is_reply)
    ct.state[row] = state
    side = 1 if is_reply else 0
    ct.packets[row, side] += 1
    ct.bytes[row, side] += length_bytes
    ct.last_seen_s[row] = now_s
    ct.expires_s[row] = now_s + timeout_s(ct.timeouts_s[ct.eni[row]], cls, state, tcp_columns)
    return True
