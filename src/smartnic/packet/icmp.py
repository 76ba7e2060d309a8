"""ICMP for IPv4 (RFC 792): type, code, checksum and the 4-byte rest of header.

The rest of header is echo identifier/sequence, or the next-hop MTU of
"fragmentation needed" (RFC 1191), or unused, depending on the type.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import TRUNCATED_ICMP, MalformedPacket

ICMP_HEADER_BYTES = 8
ICMP_CHECKSUM_OFFSET = 2

ECHO_REPLY = 0
DESTINATION_UNREACHABLE = 3
SOURCE_QUENCH = 4
REDIRECT = 5
ECHO_REQUEST = 8
TIME_EXCEEDED = 11
PARAMETER_PROBLEM = 12
FRAGMENTATION_NEEDED_CODE = 4
ECHO_TYPES = frozenset({ECHO_REQUEST, ECHO_REPLY})
# Errors quote the offending packet's header (RFC 792), so they belong to its flow.
ERROR_TYPES = frozenset(
    {DESTINATION_UNREACHABLE, SOURCE_QUENCH, REDIRECT, TIME_EXCEEDED, PARAMETER_PROBLEM}
)

_HEADER = struct.Struct("!BBHI")


@dataclass(frozen=True, slots=True)
class Icmp:
    """ICMP header; `rest_of_header` is the 32-bit word after the checksum."""

    icmp_type: int
    code: int = 0
    checksum: int = 0
    rest_of_header: int = 0

    @property
    def identifier(self) -> int:
        return self.rest_of_header >> 16

    @property
    def sequence(self) -> int:
        return self.rest_of_header & 0xFFFF

    @property
    def next_hop_mtu(self) -> int:
        return self.rest_of_header & 0xFFFF

    def pack(self) -> bytes:
        return _HEADER.pack(self.icmp_type, self.code, self.checksum, self.rest_of_header)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Icmp, int]:
        if len(buf) < offset + ICMP_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_ICMP, f"{len(buf) - offset} bytes")
        return cls(*_HEADER.unpack_from(buf, offset)), offset + ICMP_HEADER_BYTES
