"""ICMPv6 (RFC 4443) and the neighbour discovery messages (RFC 4861).

`Icmpv6` is the 8-byte header: type, code, checksum and the 32-bit word that
holds echo identifier/sequence, the packet-too-big MTU, or the NA flags.
`NdMessage` is what follows it in RS/RA/NS/NA: per-type fixed fields (target
address, RA timers) and the option TLVs, of which source/target link-layer
address options are decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import BAD_ND_OPTION, TRUNCATED_ICMPV6, MalformedPacket

ICMPV6_HEADER_BYTES = 8
ICMPV6_CHECKSUM_OFFSET = 2

DESTINATION_UNREACHABLE = 1
PACKET_TOO_BIG = 2
TIME_EXCEEDED = 3
PARAMETER_PROBLEM = 4
ECHO_REQUEST = 128
ECHO_REPLY = 129
ROUTER_SOLICITATION = 133
ROUTER_ADVERTISEMENT = 134
NEIGHBOR_SOLICITATION = 135
NEIGHBOR_ADVERTISEMENT = 136
ECHO_TYPES = frozenset({ECHO_REQUEST, ECHO_REPLY})
ERROR_TYPES = frozenset(
    {DESTINATION_UNREACHABLE, PACKET_TOO_BIG, TIME_EXCEEDED, PARAMETER_PROBLEM}
)  # RFC 4443 §2.1: types below 128
ND_TYPES = frozenset(
    {ROUTER_SOLICITATION, ROUTER_ADVERTISEMENT, NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT}
)

OPTION_SOURCE_LINK_ADDR = 1
OPTION_TARGET_LINK_ADDR = 2
NA_ROUTER_FLAG = 0x8000_0000
NA_SOLICITED_FLAG = 0x4000_0000
NA_OVERRIDE_FLAG = 0x2000_0000
ND_HOP_LIMIT = 255  # RFC 4861 §7.1.1: ND messages must arrive with hop limit 255

_HEADER = struct.Struct("!BBHI")
_RA_TIMERS = struct.Struct("!II")
# Bytes between the ICMPv6 header and the options, per ND message type.
_ND_FIXED_BYTES = {
    ROUTER_SOLICITATION: 0,
    ROUTER_ADVERTISEMENT: 8,
    NEIGHBOR_SOLICITATION: 16,
    NEIGHBOR_ADVERTISEMENT: 16,
}


@dataclass(frozen=True, slots=True)
class Icmpv6:
    """ICMPv6 header; `rest_of_header` is the 32-bit word after the checksum."""

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

    def pack(self) -> bytes:
        return _HEADER.pack(self.icmp_type, self.code, self.checksum, self.rest_of_header)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Icmpv6, int]:
        if len(buf) < offset + ICMPV6_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_ICMPV6, f"{len(buf) - offset} bytes")
        return cls(*_HEADER.unpack_from(buf, offset)), offset + ICMPV6_HEADER_BYTES


@dataclass(frozen=True, slots=True)
class NdOption:
    """ND option TLV; `data` follows the type and length bytes (length in 8-byte units)."""

    option_type: int
    data: bytes

    @classmethod
    def link_address(cls, option_type: int, mac: bytes) -> NdOption:
        return cls(option_type, mac)

    def pack(self) -> bytes:
        if (len(self.data) + 2) % 8:
            raise ValueError("ND option length must be a multiple of 8 bytes")
        return bytes((self.option_type, (len(self.data) + 2) // 8)) + self.data

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[NdOption, int]:
        if len(buf) < offset + 2:
            raise MalformedPacket(BAD_ND_OPTION, "option header truncated")
        length_units = buf[offset + 1]
        end = offset + length_units * 8
        if length_units == 0 or len(buf) < end:
            raise MalformedPacket(BAD_ND_OPTION, f"option length {length_units}")
        return cls(buf[offset], bytes(buf[offset + 2 : end])), end


@dataclass(frozen=True, slots=True)
class NdMessage:
    """Neighbour discovery body after the ICMPv6 header (RFC 4861 §4)."""

    icmp_type: int
    target: int | None = None
    options: tuple[NdOption, ...] = ()
    reachable_time_ms: int = 0
    retrans_timer_ms: int = 0

    def link_address(self, option_type: int) -> bytes | None:
        """MAC carried by the first option of `option_type`, or None."""
        for option in self.options:
            if option.option_type == option_type:
                return option.data[:6]
        return None

    def pack(self) -> bytes:
        parts = [option.pack() for option in self.options]
        if self.icmp_type == ROUTER_ADVERTISEMENT:
            parts.insert(0, _RA_TIMERS.pack(self.reachable_time_ms, self.retrans_timer_ms))
        elif self.target is not None:
            parts.insert(0, self.target.to_bytes(16, "big"))
        return b"".join(parts)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int, icmp_type: int) -> tuple[NdMessage, int]:
        """Decode from `offset` (after the ICMPv6 header) to the end of `buf`."""
        fixed_end = offset + _ND_FIXED_BYTES[icmp_type]
        if len(buf) < fixed_end:
            raise MalformedPacket(TRUNCATED_ICMPV6, f"ND type {icmp_type} body truncated")
        target: int | None = None
        reachable_ms = retrans_ms = 0
        if icmp_type == ROUTER_ADVERTISEMENT:
            reachable_ms, retrans_ms = _RA_TIMERS.unpack_from(buf, offset)
        elif fixed_end > offset:
            target = int.from_bytes(buf[offset:fixed_end], "big")
        options: list[NdOption] = []
        position = fixed_end
        while position < len(buf):
            option, position = NdOption.unpack(buf, position)
            options.append(option)
        return cls(icmp_type, target, tuple(options), reachable_ms, retrans_ms), position
