"""Open-addressing hash index over connection rows: key words -> row (numba kernels).

Slots hold a row number, EMPTY or DELETED (a tombstone keeps probe chains intact).
Linear probing from a 64-bit mix of the five key words. The table object rebuilds the
index when live rows plus tombstones pass 70 % of the slots.
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.kernel import inline_kernel, kernel

EMPTY = -1
DELETED = -2
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


@inline_kernel
def mix64(value: np.uint64) -> np.uint64:
    """MurmurHash3's finalizer: every input bit affects every output bit."""
    value ^= value >> _S33
    value *= _M1
    value ^= value >> _S33
    value *= _M2
    value ^= value >> _S33
    return value


@inline_kernel
def key_hash(words: np.ndarray) -> np.uint64:
    """Hash of five uint64 key words (a row of `keys`, or a probe)."""
    h = mix64(words[0])
    for i in range(1, 5):
        h = mix64(h ^ words[i])
    return h


@inline_kernel
def first_slot(index: np.ndarray, words: np.ndarray) -> np.int64:
    return np.int64(key_hash(words) & np.uint64(index.shape[0] - 1))


@inline_kernel
def find(index: np.ndarray, keys: np.ndarray, words: np.ndarray) -> int:
    """The row holding the key `words` (uint64[5]), or -1."""
    mask = index.shape[0] - 1
    slot = first_slot(index, words)
    for _ in range(index.shape[0]):
        row = index[slot]
        if row == EMPTY:
            return -1
        if row >= 0 and keys[row, 0] == words[0] and keys[row, 1] == words[1] \
                and keys[row, 2] == words[2] and keys[row, 3] == words[3] \
                and keys[row, 4] == words[4]:
            return int(row)
        slot = (slot + 1) & mask
    return -1


@inline_kernel
def insert(index: np.ndarray, keys: np.ndarray, row: int) -> bool:
    """Index `row` under its key (which must not be indexed yet); False when full."""
    mask = index.shape[0] - 1
    slot = first_slot(index, keys[row])
    for _ in range(index.shape[0]):
        if index[slot] < 0:
            index[slot] = row
            return True
        slot = (slot + 1) & mask
    return False


@inline_kernel
def delete(index: np.ndarray, keys: np.ndarray, row: int) -> bool:
    mask = index.shape[0] - 1
    slot = first_slot(index, keys[row])
    for _ in range(index.shape[0]):
        if index[slot] == row:
            index[slot] = DELETED
            return True
        if index[slot] == EMPTY:
            return False
        slot = (slot + 1) & mask
    return False


@kernel
def rebuild(index: np.ndarray, keys: np.ndarray, live: np.ndarray) -> None:
    index[:] = EMPTY
    for row in range(live.shape[0]):
        if live[row]:
            insert(index, keys, row)
