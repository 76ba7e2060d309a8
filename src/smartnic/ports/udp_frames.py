"""Received UDP underlay datagrams turned into whole outer frames in place, in one kernel.

recvmmsg(2) writes each datagram `HEADROOM` bytes into its receive slot; `frame_datagrams`
writes the outer Ethernet/IPv4/UDP headers the kernel's socket took off into that room,
so every slot becomes the frame the engine would have seen on the wire and the batch
reaches the engine as (buffer, starts, lengths) with no Python object per datagram.

The synthesized headers (as `UdpUnderlayPort` documents them): Ethernet with MACs
02:5e:<IPv4 bytes> of each side, IPv4 (DF, TTL 64, correct checksum, no options) from the
datagram's source to the local address, UDP from its real source port to the bound port
with checksum 0 (none, RFC 768).

Inputs per message i < count: `words[i]` the message header as 32-bit words (its
msg_len and msg_flags at the columns given), `names[i]` its sockaddr_in bytes. A datagram
that was truncated (MSG_TRUNC) or does not fit its slot is skipped and counted; the
kernel never reads or writes outside slot i.
"""

from __future__ import annotations

import numba
import numpy as np

HEADROOM = 42  # Ethernet 14 + IPv4 20 + UDP 8
MSG_TRUNC = 0x20
_IPV4_UDP_DF_TTL64 = 0x4500 + 0x4000 + (64 << 8 | 17)  # version/IHL, flags, TTL/protocol


@numba.njit(cache=True, nogil=True)
def frame_datagrams(buffer: np.ndarray, slot_bytes: int, count: int, words: np.ndarray,
                    length_word: int, flags_word: int, names: np.ndarray,
                    local_ip: np.ndarray, local_port: int, starts: np.ndarray,
                    lengths: np.ndarray) -> tuple[int, int]:
    """(frames kept, datagrams skipped); frame k starts at starts[k] (a slot's start)."""
    kept = skipped = 0
    local_sum = (np.int64(local_ip[0]) << 8 | local_ip[1]) + (np.int64(local_ip[2]) << 8
                                                               | local_ip[3])
    for i in range(count):
        payload = np.int64(words[i, length_word])
        if words[i, flags_word] & MSG_TRUNC or payload > slot_bytes - HEADROOM:
            skipped += 1
            continue
        at = i * slot_bytes
        udp_bytes = 8 + payload
        total = 20 + udp_bytes
        for b in range(2):
            buffer[at + b] = 0x02 if b == 0 else 0x5E
            buffer[at + 6 + b] = 0x02 if b == 0 else 0x5E
        for b in range(4):
            buffer[at + 2 + b] = local_ip[b]
            buffer[at + 8 + b] = names[i, 4 + b]
            buffer[at + 26 + b] = names[i, 4 + b]
            buffer[at + 30 + b] = local_ip[b]
        peer_sum = (np.int64(names[i, 4]) << 8 | names[i, 5]) + (np.int64(names[i, 6]) << 8
                                                                 | names[i, 7])
        folded = _IPV4_UDP_DF_TTL64 + total + peer_sum + local_sum
        folded = (folded & 0xFFFF) + (folded >> 16)
        folded = (folded & 0xFFFF) + (folded >> 16)
        checksum = ~folded & 0xFFFF
        _put16(buffer, at + 12, 0x0800)
        _put16(buffer, at + 14, 0x4500)
        _put16(buffer, at + 16, total)
        _put16(buffer, at + 18, 0)
        _put16(buffer, at + 20, 0x4000)
        _put16(buffer, at + 22, 64 << 8 | 17)
        _put16(buffer, at + 24, checksum)
        buffer[at + 34] = names[i, 2]  # source port, as sockaddr_in holds it: big-endian
        buffer[at + 35] = names[i, 3]
        _put16(buffer, at + 36, local_port)
        _put16(buffer, at + 38, udp_bytes)
        _put16(buffer, at + 40, 0)
        starts[kept] = at
        lengths[kept] = HEADROOM + payload
        kept += 1
    return kept, skipped


@numba.njit(cache=True, nogil=True, inline="always")
def _put16(buffer: np.ndarray, at: int, value: int | np.int64) -> None:
    buffer[at] = (value >> 8) & 0xFF
    buffer[at + 1] = value & 0xFF
