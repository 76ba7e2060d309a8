"""Byte access of the kernels (wire.py) outside its array: the interpreted definitions
always raise IndexError; the compiled ones do under NUMBA_BOUNDSCHECK=1, the mode
`make test` also runs these tests in (compiled normally they check nothing, for speed)."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from smartnic.dataplane.fastpath.wire import be16, be32, be64, copy_bytes

pytestmark = pytest.mark.boundscheck

BUF = np.arange(16, dtype=np.uint8)
READS = [(be16, 14), (be32, 12), (be64, 8)]
OUTSIDE = [(be16, 15), (be32, 13), (be64, 9), (be16, -1), (be32, 16)]
COPIES = [(0, 0, 8), (8, 8, 8), (0, 16, 0)]
BAD_COPIES = [(2, 0, 8), (0, 9, 8), (-1, 0, 2), (0, -1, 2), (0, 0, -1)]


@numba.njit
def compiled_be16(buf: np.ndarray, at: int) -> int:
    return be16(buf, at)


@numba.njit
def compiled_be32(buf: np.ndarray, at: int) -> int:
    return be32(buf, at)


@numba.njit
def compiled_be64(buf: np.ndarray, at: int) -> np.uint64:
    return be64(buf, at)


@numba.njit
def compiled_copy(dst: np.ndarray, dst_at: int, src: np.ndarray, src_at: int,
                  count: int) -> None:
    copy_bytes(dst, dst_at, src, src_at, count)


WIDTH = {be16: 2, be32: 4, be64: 8}
COMPILED = {be16: compiled_be16, be32: compiled_be32, be64: compiled_be64}


@pytest.mark.parametrize(("read", "at"), READS)
def test_reads_inside_the_array(read, at: int) -> None:  # type: ignore[no-untyped-def]
    expected = int.from_bytes(BUF[at:at + WIDTH[read]].tobytes(), "big")
    assert int(read(BUF, at)) == expected == int(COMPILED[read](BUF, at))


@pytest.mark.parametrize(("read", "at"), OUTSIDE)
def test_reads_outside_raise(read, at: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IndexError):
        read(BUF, at)
    if numba.config.BOUNDSCHECK:
        with pytest.raises(IndexError):
            COMPILED[read](BUF, at)


@pytest.mark.parametrize(("dst_at", "src_at", "count"), COPIES)
def test_copies_inside_both_arrays(dst_at: int, src_at: int, count: int) -> None:
    twin, compiled = np.zeros(16, np.uint8), np.zeros(16, np.uint8)
    copy_bytes(twin, dst_at, BUF, src_at, count)
    compiled_copy(compiled, dst_at, BUF, src_at, count)
    assert np.array_equal(twin, compiled)
    assert twin[dst_at:dst_at + count].tolist() == BUF[src_at:src_at + count].tolist()


@pytest.mark.parametrize(("dst_at", "src_at", "count"), BAD_COPIES)
def test_copies_outside_raise(dst_at: int, src_at: int, count: int) -> None:
    dst = np.zeros(9, np.uint8)
    with pytest.raises(IndexError):
        copy_bytes(dst, dst_at, BUF, src_at, count)
    if numba.config.BOUNDSCHECK:
        with pytest.raises(IndexError):
            compiled_copy(dst, dst_at, BUF, src_at, count)
