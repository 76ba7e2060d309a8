"""TCP header (RFC 9293) with flags as an int and options kept as raw bytes.

`unpack` checks that the fixed header is present (`truncated_tcp`) and that
the data offset is at least 5 words and within the buffer
(`bad_tcp_data_offset`); the buffer should end where the segment ends.
`pack` writes the stored checksum; builders fill it in over the whole segment.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import BAD_TCP_DATA_OFFSET, TRUNCATED_TCP, MalformedPacket

TCP_HEADER_BYTES = 20
TCP_CHECKSUM_OFFSET = 16

FIN = 0x01
SYN = 0x02
RST = 0x04
PSH = 0x08
ACK = 0x10
URG = 0x20
ECE = 0x40
CWR = 0x80

_HEADER = struct.Struct("!HHIIBBHHH")


@dataclass(frozen=True, slots=True)
class Tcp:
    """TCP header; `flags` holds the 8 flag bits CWR..FIN."""

    sport: int
    dport: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    window: int = 65535
    checksum: int = 0
    urgent: int = 0
    options: bytes = b""
    reserved_bits: int = 0

    @property
    def header_length_bytes(self) -> int:
        return TCP_HEADER_BYTES + len(self.options)

    def pack(self) -> bytes:
        if len(self.options) % 4 or len(self.options) > 40:
            raise ValueError("TCP options must be padded to 4 bytes and at most 40 bytes")
        data_offset_byte = (self.header_length_bytes // 4) << 4 | self.reserved_bits
        fixed = _HEADER.pack(
            self.sport,
            self.dport,
            self.seq,
            self.ack,
            data_offset_byte,
            self.flags,
            self.window,
            self.checksum,
            self.urgent,
        )
        return fixed + self.options

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Tcp, int]:
        if len(buf) < offset + TCP_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_TCP, f"{len(buf) - offset} bytes")
        sport, dport, seq, ack, offset_byte, flags, window, checksum, urgent = _HEADER.unpack_from(
            buf, offset
        )
        header_bytes = (offset_byte >> 4) * 4
        if header_bytes < TCP_HEADER_BYTES or len(buf) < offset + header_bytes:
            raise MalformedPacket(BAD_TCP_DATA_OFFSET, f"{header_bytes} header bytes")
        options = bytes(buf[offset + TCP_HEADER_BYTES : offset + header_bytes])
        header = cls(
            sport, dport, seq, ack, flags, window, checksum, urgent, options, offset_byte & 0x0F
        )
        return header, offset + header_bytes
