"""UDP header (RFC 768).

`unpack` checks the 8-byte header is present (`truncated_udp`) and the length
field is at least 8 (`bad_udp_length`). The frame parser checks the length
against the IP payload, which only it knows.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import BAD_UDP_LENGTH, TRUNCATED_UDP, MalformedPacket

UDP_HEADER_BYTES = 8
UDP_CHECKSUM_OFFSET = 6

_HEADER = struct.Struct("!HHHH")


@dataclass(frozen=True, slots=True)
class Udp:
    """UDP header; `length` covers header and payload, `checksum` 0 means none (IPv4)."""

    sport: int
    dport: int
    length: int = UDP_HEADER_BYTES
    checksum: int = 0

    def pack(self) -> bytes:
        return _HEADER.pack(self.sport, self.dport, self.length, self.checksum)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Udp, int]:
        if len(buf) < offset + UDP_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_UDP, f"{len(buf) - offset} bytes")
        sport, dport, length, checksum = _HEADER.unpack_from(buf, offset)
        if length < UDP_HEADER_BYTES:
            raise MalformedPacket(BAD_UDP_LENGTH, f"length field {length}")
        return cls(sport, dport, length, checksum), offset + UDP_HEADER_BYTES
