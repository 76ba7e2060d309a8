"""Batched UDP through sendmmsg(2) and recvmmsg(2): one system call per batch of datagrams.

Python's socket module has neither call, so they are bound through ctypes from the C
library. The message headers, I/O vectors and addresses live in numpy arrays whose dtypes
are the C structures (LP64 Linux: x86_64, aarch64), filled for a whole batch at once.

`Receiver(slots, slot_bytes)` owns `slots` receive buffers of `slot_bytes` each;
`receive(fd, max_messages)` returns how many datagrams arrived (0 when none is waiting)
and leaves, per datagram i < count: `payload(i)` (a memoryview into buffer i, valid until
the next call), `peer(i)` (IPv4 address bytes, port) and `truncated(i)` (the datagram did
not fit its slot: MSG_TRUNC; the payload is incomplete).

`send(fd, payloads, addresses)` sends datagrams in order: `payloads` is (buffer, starts,
lengths) — one contiguous uint8 array and where each datagram lies in it — and
`addresses` the (IPv4 bytes, port bytes) of each, as uint8 arrays of shape (n, 4) and
(n, 2) in network order. Returns (sent, state): state is None when every datagram went,
"blocked" when the socket's buffer is full (EAGAIN), or the errno name of the datagram at
index `sent`, which the kernel refused (e.g. ENETUNREACH); the caller decides whether to
wait, skip or drop.

`available()` is False where the C library lacks the calls or the ABI is not LP64
little-endian; callers then keep one system call per datagram.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import sys

import numpy as np

MSG_DONTWAIT = 0x40
MSG_TRUNC = 0x20
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


def _bind() -> tuple[object, object] | None:
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
    def __init__(self, slots: int, slot_bytes: int) -> None:
        self.slots, self.slot_bytes = slots, slot_bytes
        self.buffer = np.zeros(slots * slot_bytes, np.uint8)
        self._headers, self._iovecs, self._names = _headers(slots)
        self._iovecs["iov_base"] = self.buffer.ctypes.data + np.arange(
            slots, dtype=np.uint64) * slot_bytes
        self._iovecs["iov_len"] = slot_bytes
        self._view = memoryview(self.buffer)
        self.lengths: list[int] = []
        self._flags: list[int] = []
        self._peers = b""

    def receive(self, fd: int, max_messages: int) -> int:
        assert _CALLS is not None
        count = min(max_messages, self.slots)
        message = self._headers["msg_hdr"]
        message["msg_namelen"][:count] = SOCKADDR_IN_BYTES  # the kernel writes it back
        received = _CALLS[1](fd, self._headers.ctypes.data, count, MSG_DONTWAIT, None)
        if received < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EINTR):
                return 0
            raise OSError(code, errno.errorcode.get(code, str(code)))
        self.lengths = self._headers["msg_len"][:received].tolist()
        self._flags = message["msg_flags"][:received].tolist()
        self._peers = self._names[:received, 2:8].tobytes()  # port and address, 6 bytes each
        return int(received)

    def payload(self, index: int) -> memoryview:
        begin = index * self.slot_bytes
        return self._view[begin:begin + min(self.lengths[index], self.slot_bytes)]

    def truncated(self, index: int) -> bool:
        return bool(self._flags[index] & MSG_TRUNC)

    def peer(self, index: int) -> tuple[bytes, int]:
        name = self._peers[6 * index:6 * index + 6]
        return name[2:], name[0] << 8 | name[1]


class Sender:
    """Header arrays for up to `capacity` datagrams a call (grown when a batch needs more)."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = 0
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        self._capacity = capacity
        self._headers, self._iovecs, self._names = _headers(capacity)

    def send(self, fd: int, payloads: tuple[np.ndarray, np.ndarray, np.ndarray],
             addresses: tuple[np.ndarray, np.ndarray], first: int = 0) -> tuple[int, str | None]:
        """Datagrams `first`.. of the batch; returns (index reached, state) as above."""
        assert _CALLS is not None
        buffer, starts, lengths = payloads
        ips, ports = addresses
        count = starts.shape[0] - first
        if count <= 0:
            return first, None
        if count > self._capacity:
            self._grow(max(count, 2 * self._capacity))
        self._iovecs["iov_base"][:count] = buffer.ctypes.data + starts[first:].astype(np.uint64)
        self._iovecs["iov_len"][:count] = lengths[first:]
        self._names[:count, 2:4] = ports[first:]
        self._names[:count, 4:8] = ips[first:]
        sent = _CALLS[0](fd, self._headers.ctypes.data, count, 0)
        if sent < 0:
            code = ctypes.get_errno()
            if code in (errno.EAGAIN, errno.EINTR):
                return first, "blocked"
            return first, errno.errorcode.get(code, str(code))
        return first + int(sent), None
