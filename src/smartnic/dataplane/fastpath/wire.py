"""Byte access and checksum arithmetic for the kernels.

`be16`, `be32`, `be64` read big-endian fields and `copy_bytes` copies a byte range between
uint8 arrays. Each is a plain Python function (what the interpreted twins of the kernels
call) that numba lowers in place to an unaligned load + byte swap, or to `memcpy`:
measured here, ten 32-bit reads of a frame cost 2.9 ns that way against 18 ns written as
byte shifts (numba's negative-index handling blocks LLVM), and a 52-byte copy 3 ns against
38 ns as a byte loop. Being lowered in place, they also cost no call (see columns.py).
Callers check lengths first, as parse.py does; compiled normally these accesses check
nothing. Under NUMBA_BOUNDSCHECK=1 (the bounds-checked test mode, see docs/architecture.md)
the lowered code checks every byte range against the array's size and raises IndexError,
as numba's own indexing then does; the Python definitions always check.

The scalar kernels decide checksums the way `smartnic.packet.checksum.internet_checksum`
does: a message verifies when the plain (unfolded) sum of its big-endian 16-bit words, plus
the pseudo-header, is a non-zero multiple of 0xFFFF. Since 2**16 ≡ 1 (mod 0xFFFF), summing
32-bit words (or any 16-bit-aligned pieces) gives the same residue, at half the additions.

Example:
    total = be32(buf, l3) + be32(buf, l3 + 4)    # inside a kernel, or in Python
    checksum_ok(total)
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import lower_builtin, type_callable

from smartnic.dataplane.kernel import kernel

_FIN_SYN_RST, _SYN_ACK = 0x07, 0x12


def _check_range(array: np.ndarray, at: int, count: int) -> None:
    if count < 0 or at < 0 or at + count > array.size:
        raise IndexError(f"bytes [{at}, {at + count}) outside an array of {array.size}")


def be16(buf: np.ndarray, at: int) -> int:
    _check_range(buf, at, 2)
    return int.from_bytes(buf[at:at + 2].tobytes(), "big")


def be32(buf: np.ndarray, at: int) -> int:
    _check_range(buf, at, 4)
    return int.from_bytes(buf[at:at + 4].tobytes(), "big")


def be64(buf: np.ndarray, at: int) -> np.uint64:
    _check_range(buf, at, 8)
    return np.uint64(int.from_bytes(buf[at:at + 8].tobytes(), "big"))


def copy_bytes(dst: np.ndarray, dst_at: int, src: np.ndarray, src_at: int, count: int) -> None:
    """dst[dst_at:dst_at + count] = the bytes of (C-contiguous) src from src_at."""
    _check_range(dst, dst_at, count)
    _check_range(src, src_at, count)
    dst[dst_at:dst_at + count] = src.reshape(-1)[src_at:src_at + count]


def _byte_pointer(context, builder, array_type, array, at_type, at,  # type: ignore[no-untyped-def]
                  count=None):
    """A pointer to byte `at` of the array; with bounds checking on (NUMBA_BOUNDSCHECK), an
    IndexError unless bytes [at, at + count) lie inside it (count: an intp value)."""
    made = context.make_array(array_type)(context, builder, array)
    offset = context.cast(builder, at, at_type, types.intp)
    if context.enable_boundscheck and count is not None:
        _boundscheck_range(context, builder, made, offset, count)
    return builder.gep(made.data, [offset])


def _boundscheck_range(context, builder, made, offset, count) -> None:  # type: ignore[no-untyped-def]
    size = builder.mul(made.nitems, made.itemsize)  # bytes: the views here are uint8
    cgutils.do_boundscheck(context, builder, count, builder.add(size, size.type(1)))
    cgutils.do_boundscheck(context, builder, offset, builder.add(size, size.type(1)))
    cgutils.do_boundscheck(context, builder, builder.add(offset, count),
                           builder.add(size, size.type(1)))


def _register_read(function, bits: int, result: types.Type) -> None:  # type: ignore[no-untyped-def]
    @type_callable(function)
    def typer(context):  # type: ignore[no-untyped-def]
        def signature(buf, at):  # type: ignore[no-untyped-def]
            if isinstance(buf, types.Array) and isinstance(at, types.Integer):
                return result
            return None
        return signature

    @lower_builtin(function, types.Array, types.Integer)
    def lower(context, builder, sig, args):  # type: ignore[no-untyped-def]
        pointer = _byte_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1],
                                ir.Constant(context.get_value_type(types.intp), bits // 8))
        word = ir.IntType(bits)
        value = builder.bswap(builder.load(builder.bitcast(pointer, word.as_pointer()), align=1))
        return value if bits == 64 else builder.zext(value, ir.IntType(64))


_register_read(be16, 16, types.int64)
_register_read(be32, 32, types.int64)
_register_read(be64, 64, types.uint64)


@type_callable(copy_bytes)
def _type_copy(context):  # type: ignore[no-untyped-def]
    def signature(dst, dst_at, src, src_at, count):  # type: ignore[no-untyped-def]
        if isinstance(dst, types.Array) and isinstance(src, types.Array):
            return types.none
        return None
    return signature


@lower_builtin(copy_bytes, types.Array, types.Integer, types.Array, types.Integer,
               types.Integer)
def _lower_copy(context, builder, sig, args):  # type: ignore[no-untyped-def]
    count = context.cast(builder, args[4], sig.args[4], types.intp)
    target = _byte_pointer(context, builder, sig.args[0], args[0], sig.args[1], args[1], count)
    source = _byte_pointer(context, builder, sig.args[2], args[2], sig.args[3], args[3], count)
    cgutils.raw_memcpy(builder, target, source, count, 1)
    return context.get_dummy_value()


@kernel
def checksum_ok(total: int) -> bool:
    if total == 0:
        return False
    return total % 0xFFFF == 0


@kernel
def ipv4_header_checksum(base_sum: int, total_length: int) -> int:
    """The checksum field of an IPv4 header whose other words sum to `base_sum`, as
    `internet_checksum` computes it (a non-zero sum never folds to +0)."""
    total = base_sum + total_length
    folded = total % 0xFFFF
    if folded == 0:
        if total != 0:
            folded = 0xFFFF
    return ~folded & 0xFFFF


@kernel
def reduced_flags(tcp_flags: int) -> int:
    """FL-R8: FIN, SYN, RST kept; ACK only as part of SYN-ACK (flowlogs/aggregate.py)."""
    reduced = tcp_flags & _FIN_SYN_RST
    if tcp_flags & _SYN_ACK == _SYN_ACK:
        reduced |= _SYN_ACK
    return reduced
