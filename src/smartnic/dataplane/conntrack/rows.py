"""Row bookkeeping kernels: key encoding, allocation from a free stack, freeing, sweeping.

A freed row leaves the index, stops being live and gets a new incarnation, so every
reference to the connection it held (a cached flow action) sees it gone.

Bounds. Every row is exactly once either live or on the free stack, and the stack is as
long as the rows (ConntrackTable keeps both true across growth): a pop happens only
when `top[0] > 0` (callers check), a push only for a live row (`free_row` ignores a row
already free), so `0 <= top[0] <= rows` always; `top[1]` counts the index tombstones
freeing leaves (ConntrackTable rebuilds the index on it). Rows come from the stack or the index;
ENI numbers from ConntrackTable's registry, below the per-ENI arrays' length.
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack.arrays import CtArrays, timeout_s
from smartnic.dataplane.kernel import inline_kernel, kernel

V4_MAPPED = 0xFFFF << 32
LOW64 = (1 << 64) - 1


def encode_key(eni: int, key: tuple[int, int, int, int, int, int]) -> np.ndarray:
    """(ip_version, proto, a_ip, a_port, b_ip, b_port) of ENI `eni` -> uint64[5] words."""
    version, proto, a_ip, a_port, b_ip, b_port = key
    if version == 4:
        a_ip, b_ip = V4_MAPPED | a_ip, V4_MAPPED | b_ip
    return np.array((eni << 40 | proto << 32 | a_port << 16 | b_port,
                     a_ip >> 64, a_ip & LOW64, b_ip >> 64, b_ip & LOW64), dtype=np.uint64)


def decode_key(words: np.ndarray) -> tuple[int, int, int, int, int, int]:
    w0, a_hi, a_lo, b_hi, b_lo = (int(w) for w in words)
    a_ip, b_ip = a_hi << 64 | a_lo, b_hi << 64 | b_lo
    version = 4 if a_hi == 0 and a_lo >> 32 == 0xFFFF else 6
    if version == 4:
        a_ip, b_ip = a_ip & 0xFFFFFFFF, b_ip & 0xFFFFFFFF
    return (version, (w0 >> 32) & 0xFF, a_ip, (w0 >> 16) & 0xFFFF, b_ip, w0 & 0xFFFF)


@inline_kernel
def fill_row(ct: CtArrays, index: np.ndarray, row: int, words: np.ndarray, eni: int,
             proto_class: int, origin: int, now_s: float, tcp_columns: np.ndarray) -> None:
    """A fresh connection in `row` (state 0), indexed under `words`."""
    for word in range(5):  # element by element: a slice copy would need an allocation
        ct.key[row, word] = words[word]
    ct.eni[row] = eni
    ct.proto_class[row] = proto_class
    ct.state[row] = 0
    ct.origin[row] = origin
    ct.live[row] = 1
    ct.last_seen_s[row] = now_s
    ct.packets[row, 0] = 0
    ct.packets[row, 1] = 0
    ct.bytes[row, 0] = 0
    ct.bytes[row, 1] = 0
    ct.expires_s[row] = now_s + timeout_s(ct.timeouts_s[eni], proto_class, 0, tcp_columns)
    ct.eni_count[eni] += 1
    ct.eni_opened[eni] += 1
    ix.insert(index, ct.key, row)


@inline_kernel
def free_row(ct: CtArrays, index: np.ndarray, free: np.ndarray, top: np.ndarray,
             row: int) -> None:
    """Free a live row (a row already free is left alone: pushing it twice would overrun
    the stack)."""
    if ct.live[row] != 1:
        return
    ix.delete(index, ct.key, row)
    ct.live[row] = 0
    ct.eni_count[ct.eni[row]] -= 1
    ct.incarnation[row] += 1
    free[top[0]] = row
    top[0] += 1
    top[1] += 1  # a tombstone in the index until the next rebuild


@kernel
def sweep(ct: CtArrays, index: np.ndarray, free: np.ndarray, top: np.ndarray, eni: int,
          now_s: float) -> int:
    """Free the expired rows of one ENI (or of all, eni < 0); returns how many."""
    freed = 0
    for row in range(ct.live.shape[0]):
        if ct.live[row] and ct.expires_s[row] <= now_s and (eni < 0 or ct.eni[row] == eni):
            free_row(ct, index, free, top, row)
            freed += 1
    return freed


@kernel
def free_eni(ct: CtArrays, index: np.ndarray, free: np.ndarray, top: np.ndarray,
             eni: int) -> int:
    freed = 0
    for row in range(ct.live.shape[0]):
        if ct.live[row] and ct.eni[row] == eni:
            free_row(ct, index, free, top, row)
            freed += 1
    return freed
