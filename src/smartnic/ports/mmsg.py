"""Batched UDP through sendmmsg(2) and recvmmsg(2): one system call per batch of datagrams.

Python's socket module has neither call, so they are bound through ctypes from the C
library. The message headers, I/O vectors and addresses live in numpy arrays whose dtypes
are the C structures (LP64 Linux: x86_64, aarch64), filled for a whole batch at once.

`Receiver(slots, slot_bytes, headroom)` owns `slots` receive buffers of `slot_bytes`
each, every datagram written `headroom` bytes into its slot (room for headers put in
front of it later); `receive(fd, max_messages)` returns how many datagrams arrived (0
when none is waiting) and leaves, per datagram i < count, for a compiled reader
(ports/udp_frames.py): `words[i]` (message header i as 32-bit words: msg_len at
LENGTH_WORD, msg_flags at FLAGS_WORD, where MSG_TRUNC says the datagram did not fit its
slot) and `names[i]` (its sockaddr_in), valid until the next call.

`Sender` holds the messages of a batch: `fill_vector` fills them from numpy arrays (large
batches), `fill_one` one at a time (a few frames: cheaper than any numpy call), and
`send(fd, first, count)` sends messages first..count-1 in order. It returns (reached,
state): state is None when every message went, "blocked" when the socket's buffer is full
(EAGAIN), or the errno name of message `reached`, which the kernel refused (e.g.
ENETUNREACH); the caller decides whether to wait, skip or drop.

`available()` is False where the C library lacks the calls or the ABI is not LP64
little-endian; callers then keep one system call per datagram.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import sys
from typing import Any

import numpy as np

MSG_DONTWAIT = 0x40
SOCKADDR_IN_BYTES = 16


class _Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.c_void_p), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _Msghdr), ("msg_len", ctypes.c_uint)]


IOVEC = np.dtype(_Iovec)
MMSGHDR = np.dtype(_Mmsghdr)
LENGTH_WORD = _Mmsghdr.msg_len.offset // 4
FLAGS_WORD = (_Mmsghdr.msg_hdr.offset + _Msghdr.msg_flags.offset) // 4


def _bind() -> tuple[Any, Any] | None:
    if ctypes.sizeof(ctypes.c_void_p) != 8 or sys.byteorder != "little":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        sendmmsg, recvmmsg = libc.sendmmsg, libc.recvmmsg
    except (OSError, AttributeError):
        return None
    sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    recvmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                         ctypes.c_void_p]
    sendmmsg.restype = recvmmsg.restype = ctypes.c_int
    return sendmmsg, recvmmsg


_CALLS = _bind()


def available() -> bool:
    return _CALLS is not None


def _headers(count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Message headers, each pointing at its own I/O vector and IPv4 address slot."""
    headers, iovecs = np.zeros(count, MMSGHDR), np.zeros(count, IOVEC)
    names = np.zeros((count, SOCKADDR_IN_BYTES), np.uint8)
    names[:, 0] = socket.AF_INET  # sin_family, little-endian u16
    message = headers["msg_hdr"]
    message["msg_name"] = names.ctypes.data + np.arange(count, dtype=np.uint64) * \
        SOCKADDR_IN_BYTES
    message["msg_namelen"] = SOCKADDR_IN_BYTES
    message["msg_iov"] = iovecs.ctypes.data + np.arange(count, dtype=np.uint64) * IOVEC.itemsize
    message["msg_iovlen"] = 1
    return headers, iovecs, names


class Receiver:
    def __init__(self, slots: int, slot_bytes: int, headroom: int = 0) -> None:
        if not 0 <= headroom < slot_bytes:
            raise ValueError(f"headroom {headroom} must lie within a slot of {slot_bytes} B")
        self.slots, self.slot_bytes, self.headroom = slots, slot_bytes, headroom
        self.buffer = np.zeros(slots * slot_bytes, np.uint8)
        self._headers, self._iovecs, self._names = _headers(slots)
        self._iovecs["iov_base"] = self.buffer.ctypes.data + headroom + np.arange(
            slots, dtype=np.uint64) * slot_bytes
        self._iovecs["iov_len"] = slot_bytes - headroom
        self.words = self._headers.view(np.uint32).reshape(slots, MMSGHDR.itemsize // 4)
        self.names = self._names

    def receive(self, fd: int, max_messages: int) -> int:
        """The kernel writes each msg_namelen back: 16 for the IPv4 senders a socket bound
        to an IPv4 address receives from, so the headers need no reset between calls."""
        assert _CALLS is not None
        count = min(max_messages, self.slots)
        received = _CALLS[1](fd, self._headers.ctypes.data, count, MSG_DONTWAIT, None)
        if received < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EINTR):
                return 0
            raise OSError(code, errno.errorcode.get(code, str(code)))
        return int(received)


class Sender:
    """Messages for up to `capacity` datagrams a call (grown when a batch needs more):
    filled for a whole batch (`fill_vector`, numpy) or one by one (`fill_one`, cheaper for
    a few), then sent with `send`."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = 0
        self.reserve(capacity)

    def reserve(self, capacity: int) -> None:
        if capacity <= self.capacity:
            return
        self.capacity = max(capacity, 2 * self.capacity)
        self._headers, self._iovecs, self._names = _headers(self.capacity)
        self._iov_c = (_Iovec * self.capacity).from_buffer(self._iovecs.data)
        self._names_view = self._names.data.cast("B")

    def fill_vector(self, payloads: tuple[np.ndarray, np.ndarray, np.ndarray],
                    addresses: tuple[np.ndarray, np.ndarray]) -> int:
        """Messages 0.. from (buffer, starts, lengths) and (IPv4 bytes (n, 4), port bytes
        (n, 2)); returns how many. `buffer` must outlive the `send` calls."""
        buffer, starts, lengths = payloads
        ips, ports = addresses
        count = starts.shape[0]
        self.reserve(count)
        self._iovecs["iov_base"][:count] = buffer.ctypes.data + starts.astype(np.uint64)
        self._iovecs["iov_len"][:count] = lengths
        self._names[:count, 2:4] = ports
        self._names[:count, 4:8] = ips
        return int(count)

    def fill_one(self, index: int, frame: bytes, offset: int, length: int, ip: bytes,
                 port: int) -> None:
        """Message `index` (< capacity): `length` bytes of `frame` from `offset` to ip:port.
        `frame` must outlive the `send` calls (the message points into it)."""
        vector = self._iov_c[index]
        vector.iov_base = (ctypes.cast(ctypes.c_char_p(frame), ctypes.c_void_p).value or 0) + offset
        vector.iov_len = length
        at = index * SOCKADDR_IN_BYTES
        self._names_view[at + 2:at + 8] = port.to_bytes(2, "big") + ip

    def send(self, fd: int, first: int, count: int) -> tuple[int, str | None]:
        """Messages `first`..`count`-1; returns (index reached, state) as above."""
        assert _CALLS is not None
        if first >= count:
            return first, None
        address = self._headers.ctypes.data + first * MMSGHDR.itemsize
        sent = _CALLS[0](fd, address, count - first, 0)
        if sent < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EINTR):
                return first, "blocked"
            return first, errno.errorcode.get(code, str(code))
        return first + int(sent), None
