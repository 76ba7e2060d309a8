"""Connection-tracking lookups and creation for the admission kernels (SG-R18..R25).

Same semantics as conntrack/key.py (which key a packet looks up, forward or reverse) and
ConntrackTable (capacity, a reopened key replaces the finished row), over the shared rows.
Rows are created only once a packet's verdict is final; lookups free only the expired rows
they meet (security.py), as ConntrackTable.lookup does.
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack import rows
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.arrays import CtArrays
from smartnic.dataplane.kernel import inline_kernel

NO_KEY = 0
FORWARD = 1
REVERSE = 2


@inline_kernel
def icmp_request_of(proto: int, icmp_type: int) -> int:
    """The request type a reply answers, or -1 (ICMP query pairs of key.py)."""
    if proto == 1:
        if icmp_type == 0:
            return 8
        if icmp_type in (14, 16, 18):
            return icmp_type - 1
        return -1
    return 128 if icmp_type == 129 else -1


@inline_kernel
def is_icmp_request(proto: int, icmp_type: int) -> bool:
    if proto == 1:
        return icmp_type in (8, 13, 15, 17)
    return icmp_type == 128


@inline_kernel
def proto_class(proto: int) -> int:
    if proto == 6:
        return st.CLASS_TCP
    if proto == 17:
        return st.CLASS_UDP
    if proto == 1 or proto == 58:
        return st.CLASS_ICMP
    return st.CLASS_OTHER


@inline_kernel
def put_key(words: np.ndarray, eni: int, proto: int, a_hi: np.uint64, a_lo: np.uint64,
            a_port: int, b_hi: np.uint64, b_lo: np.uint64, b_port: int) -> None:
    words[0] = np.uint64(eni << 40 | proto << 32 | a_port << 16 | b_port)
    words[1] = a_hi
    words[2] = a_lo
    words[3] = b_hi
    words[4] = b_lo


@inline_kernel
def flow_keys(eni: int, proto: int, addr: np.ndarray, sport: int, dport: int, itype: int,
              iid: int, fwd: np.ndarray, rev: np.ndarray) -> int:
    """Fill the forward and/or reverse key; returns a FORWARD | REVERSE bit set (0: never
    tracked, e.g. ICMP errors, SG-R26). `addr` is (src hi, src lo, dst hi, dst lo)."""
    s_hi, s_lo, d_hi, d_lo = addr[0], addr[1], addr[2], addr[3]
    if proto == 1 or proto == 58:
        if is_icmp_request(proto, itype):
            put_key(fwd, eni, proto, s_hi, s_lo, iid, d_hi, d_lo, itype)
            return FORWARD
        request = icmp_request_of(proto, itype)
        if request < 0:
            return NO_KEY
        put_key(rev, eni, proto, d_hi, d_lo, iid, s_hi, s_lo, request)
        return REVERSE
    if proto != 6 and proto != 17:
        sport = 0
        dport = 0
    put_key(fwd, eni, proto, s_hi, s_lo, sport, d_hi, d_lo, dport)
    put_key(rev, eni, proto, d_hi, d_lo, dport, s_hi, s_lo, sport)
    return FORWARD | REVERSE


@inline_kernel
def create(ct: CtArrays, index: np.ndarray, free: np.ndarray, top: np.ndarray,
           words: np.ndarray, eni: int, proto: int, origin: int, now_s: float,
           tcp_columns: np.ndarray) -> int:
    """A new row under `words` (the caller checked capacity); -1 when no row is free."""
    stale = ix.find(index, ct.key, words)
    if stale >= 0:
        rows.free_row(ct, index, free, top, stale)
    if top[0] == 0:
        return -1
    top[0] -= 1
    row = int(free[top[0]])
    rows.fill_row(ct, index, row, words, eni, proto_class(proto), origin, now_s, tcp_columns)
    return row
