"""Transport-layer step of the frame parser: TCP, UDP, ICMP, ICMPv6 (+ND).

Fills the L4 columns of a `Packet` from the bytes of the upper-layer
segment. Unfragmented segments are decoded in full and their checksums
verified; a first fragment only yields the fixed header fields.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smartnic.packet import icmp, icmpv6
from smartnic.packet.checksum import internet_checksum, pseudo_header_sum
from smartnic.packet.errors import (
    BAD_FRAGMENT,
    BAD_ICMP_CHECKSUM,
    BAD_ICMPV6_CHECKSUM,
    BAD_TCP_CHECKSUM,
    BAD_UDP_CHECKSUM,
    BAD_UDP_LENGTH,
    MalformedPacket,
)
from smartnic.packet.icmp import Icmp
from smartnic.packet.icmpv6 import Icmpv6, NdMessage
from smartnic.packet.tcp import TCP_HEADER_BYTES, Tcp
from smartnic.packet.udp import Udp

if TYPE_CHECKING:
    from smartnic.packet.parse import Packet

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

_PORTS = struct.Struct("!HH")
_TCP_FLAGS_OFFSET = 13
_MIN_FIRST_FRAGMENT_BYTES = 8


@dataclass(frozen=True, slots=True)
class L4Context:
    """Where one segment starts in the frame and how to treat it."""

    l4_offset: int
    first_fragment: bool
    verify_checksums: bool
    zero_udp6_checksum_ok: bool
    pseudo_dst_ip: int  # the final destination when a routing header names one


def parse_l4(packet: Packet, segment: memoryview, context: L4Context) -> None:
    """Decode `segment` (from L4 start to IP end) into `packet`."""
    packet.l4_offset = context.l4_offset
    proto, version = packet.proto, packet.ip_version
    if context.first_fragment:
        minimum_bytes = TCP_HEADER_BYTES if proto == PROTO_TCP else _MIN_FIRST_FRAGMENT_BYTES
        if len(segment) < minimum_bytes:
            raise MalformedPacket(BAD_FRAGMENT, f"first fragment holds {len(segment)} L4 bytes")
    if proto == PROTO_TCP:
        _parse_tcp(packet, segment, context)
    elif proto == PROTO_UDP:
        _parse_udp(packet, segment, context)
    elif proto == PROTO_ICMP and version == 4:
        _parse_icmp(packet, segment, context)
    elif proto == PROTO_ICMPV6 and version == 6:
        _parse_icmpv6(packet, segment, context)
    elif not context.first_fragment:
        packet.payload_offset = context.l4_offset


def _segment_checksum(packet: Packet, segment: memoryview, context: L4Context) -> int:
    pseudo = pseudo_header_sum(
        packet.ip_version, packet.src_ip, context.pseudo_dst_ip, packet.proto, len(segment)
    )
    return internet_checksum(segment, pseudo)


def _parse_tcp(packet: Packet, segment: memoryview, context: L4Context) -> None:
    if context.first_fragment:
        packet.sport, packet.dport = _PORTS.unpack_from(segment, 0)
        packet.tcp_flags = segment[_TCP_FLAGS_OFFSET]
        return
    tcp, header_end = Tcp.unpack(segment, 0)
    if context.verify_checksums and _segment_checksum(packet, segment, context) != 0:
        raise MalformedPacket(BAD_TCP_CHECKSUM)
    packet.sport, packet.dport, packet.tcp_flags = tcp.sport, tcp.dport, tcp.flags
    packet.payload_offset = context.l4_offset + header_end


def _parse_udp(packet: Packet, segment: memoryview, context: L4Context) -> None:
    udp, header_end = Udp.unpack(segment, 0)
    packet.sport, packet.dport = udp.sport, udp.dport
    if context.first_fragment:
        return
    if udp.length > len(segment):
        raise MalformedPacket(BAD_UDP_LENGTH, f"length {udp.length} > {len(segment)} IP bytes")
    if context.verify_checksums:
        if udp.checksum == 0:
            if packet.ip_version == 6 and not context.zero_udp6_checksum_ok:
                raise MalformedPacket(BAD_UDP_CHECKSUM, "zero UDP checksum in IPv6")
        elif _segment_checksum(packet, segment[: udp.length], context) != 0:
            raise MalformedPacket(BAD_UDP_CHECKSUM)
    packet.payload_offset = context.l4_offset + header_end


def _parse_icmp(packet: Packet, segment: memoryview, context: L4Context) -> None:
    header, header_end = Icmp.unpack(segment, 0)
    _record_icmp(packet, header.icmp_type, header.code, header.rest_of_header, icmp.ECHO_TYPES)
    if context.first_fragment:
        return
    if context.verify_checksums and internet_checksum(segment) != 0:
        raise MalformedPacket(BAD_ICMP_CHECKSUM)
    packet.payload_offset = context.l4_offset + header_end


def _parse_icmpv6(packet: Packet, segment: memoryview, context: L4Context) -> None:
    header, header_end = Icmpv6.unpack(segment, 0)
    _record_icmp(packet, header.icmp_type, header.code, header.rest_of_header, icmpv6.ECHO_TYPES)
    if header.icmp_type in icmpv6.ND_TYPES and context.first_fragment:
        raise MalformedPacket(BAD_FRAGMENT, "fragmented neighbour discovery (RFC 6980)")
    if context.first_fragment:
        return
    if context.verify_checksums and _segment_checksum(packet, segment, context) != 0:
        raise MalformedPacket(BAD_ICMPV6_CHECKSUM)
    packet.payload_offset = context.l4_offset + header_end
    if header.icmp_type in icmpv6.ND_TYPES:
        message, _ = NdMessage.unpack(segment, header_end, header.icmp_type)
        packet.nd_target = message.target
        option_type = (
            icmpv6.OPTION_TARGET_LINK_ADDR
            if header.icmp_type == icmpv6.NEIGHBOR_ADVERTISEMENT
            else icmpv6.OPTION_SOURCE_LINK_ADDR
        )
        packet.nd_link_addr = message.link_address(option_type)


def _record_icmp(
    packet: Packet, icmp_type: int, code: int, rest_of_header: int, echo_types: frozenset[int]
) -> None:
    packet.icmp_type, packet.icmp_code = icmp_type, code
    if icmp_type in echo_types:
        packet.icmp_id = rest_of_header >> 16
