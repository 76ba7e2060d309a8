"""Connection-tracking state machines as pure integer functions.

Written on plain ints so the same source serves the readable slow path and, compiled with
numba, the fast path (the interpreted version is the oracle in tests).

Each function is a numba kernel (see dataplane/kernel.py); `.py_func` is its interpreted twin.

Protocol classes: TCP, UDP, ICMP queries, and OTHER (IP pair + protocol, SG-R19).
TCP follows the Linux conntrack shape (loose pickup of mid-stream flows); UDP counts
request/response transactions to tell a single exchange from a stream (SG-R24).
"""

from __future__ import annotations

from smartnic.dataplane.kernel import kernel

CLASS_TCP = 1
CLASS_UDP = 2
CLASS_ICMP = 3
CLASS_OTHER = 4

# TCP states
TCP_NONE = 0
TCP_SYN_SENT = 1
TCP_SYN_RECV = 2
TCP_ESTABLISHED = 3
TCP_FIN_WAIT = 4
TCP_CLOSE_WAIT = 5
TCP_LAST_ACK = 6
TCP_TIME_WAIT = 7
TCP_CLOSE = 8

TCP_STATE_NAMES = (
    "NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
    "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
)

# UDP states: originator only; first reply seen; originator spoke again; >1 transaction.
UDP_NEW = 0
UDP_REPLIED = 1
UDP_AGAIN = 2
UDP_STREAM = 3

UDP_STATE_NAMES = ("NEW", "REPLIED", "AGAIN", "STREAM")

# ICMP queries and other protocols
ICMP_REQUESTED = 0
ICMP_REPLIED = 1
OTHER_SEEN = 0

FIN = 0x01
SYN = 0x02
RST = 0x04
ACK = 0x10


@kernel
def tcp_next_state(state: int, flags: int, is_reply: bool) -> int:
    """Next TCP state after a packet with `flags` in the given direction."""
    if flags & RST:
        return TCP_CLOSE
    if flags & SYN:
        if flags & ACK:
            if is_reply and state <= TCP_SYN_SENT:
                return TCP_SYN_RECV
            return TCP_SYN_RECV if state == TCP_NONE else state
        return TCP_SYN_SENT if state <= TCP_SYN_SENT else state
    if flags & FIN:
        return _tcp_after_fin(state, is_reply)
    if state == TCP_NONE or (state == TCP_SYN_RECV and not is_reply):
        return TCP_ESTABLISHED  # loose pickup, or the handshake's final ACK
    if state == TCP_LAST_ACK and flags & ACK:
        return TCP_TIME_WAIT
    return state


@kernel
def _tcp_after_fin(state: int, is_reply: bool) -> int:
    if state <= TCP_ESTABLISHED:
        return TCP_CLOSE_WAIT if is_reply else TCP_FIN_WAIT
    if state == TCP_FIN_WAIT and is_reply:
        return TCP_LAST_ACK
    if state == TCP_CLOSE_WAIT and not is_reply:
        return TCP_LAST_ACK
    return state


@kernel
def tcp_reopens(state: int, flags: int, is_reply: bool) -> bool:
    """A fresh SYN on a finished connection starts a new one (port reuse)."""
    fresh_syn = bool(flags & SYN) and not flags & ACK and not is_reply
    return fresh_syn and state >= TCP_TIME_WAIT


@kernel
def udp_next_state(state: int, is_reply: bool) -> int:
    """Count transactions: a reply after an originator packet completes one."""
    if is_reply:
        if state == UDP_NEW:
            return UDP_REPLIED
        if state == UDP_AGAIN:
            return UDP_STREAM
        return state
    if state == UDP_REPLIED:
        return UDP_AGAIN
    return state


@kernel
def icmp_next_state(state: int, is_reply: bool) -> int:
    return ICMP_REPLIED if is_reply else state
