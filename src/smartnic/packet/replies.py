"""Replies a data plane answers itself: ICMP "too big" errors and echo replies.

- `build_icmp_frag_needed`: ICMP type 3 code 4 with the next-hop MTU
  (RFC 1191 §4), quoting the original IP header + 8 bytes (RFC 792).
- `build_icmpv6_packet_too_big`: ICMPv6 type 2 (RFC 4443 §3.2), quoting as
  much of the original as keeps the error within the IPv6 minimum MTU.
- `build_icmp_echo_reply` / `build_icmpv6_echo_reply`: swap addresses, keep
  identifier, sequence and data (RFC 792, RFC 4443 §4.2).
Errors go back on the original frame's VLAN.
"""

from __future__ import annotations

from smartnic.packet import icmp, icmpv6
from smartnic.packet.ethernet import ETHERTYPE_IPV4, ETHERTYPE_IPV6, Ethernet
from smartnic.packet.frames import MacLike, ip_frame
from smartnic.packet.icmp import Icmp
from smartnic.packet.icmpv6 import ICMPV6_HEADER_BYTES, Icmpv6
from smartnic.packet.ipv4 import Ipv4
from smartnic.packet.ipv6 import IPV6_HEADER_BYTES, IPV6_MIN_MTU_BYTES, Ipv6
from smartnic.packet.l4 import PROTO_ICMP, PROTO_ICMPV6
from smartnic.packet.parse import parse_frame

ICMP_QUOTED_DATA_BYTES = 8
_PACKET_TOO_BIG_QUOTE_BYTES = IPV6_MIN_MTU_BYTES - IPV6_HEADER_BYTES - ICMPV6_HEADER_BYTES


def build_icmp_frag_needed(
    original_frame: bytes, mtu_bytes: int, *, src_mac: MacLike, dst_mac: MacLike, router_ip: int
) -> bytes:
    """ICMP "fragmentation needed and DF set" to the sender of `original_frame`."""
    if not 0 < mtu_bytes <= 0xFFFF:
        raise ValueError(f"next-hop MTU must fit 16 bits, got {mtu_bytes}")
    ethernet, l3_offset = Ethernet.unpack(original_frame, 0)
    if ethernet.ethertype != ETHERTYPE_IPV4:
        raise ValueError("not an IPv4 frame")
    original, data_start = Ipv4.unpack(original_frame, l3_offset)
    quote_end = min(data_start + ICMP_QUOTED_DATA_BYTES, l3_offset + original.total_length)
    header = Icmp(icmp.DESTINATION_UNREACHABLE, icmp.FRAGMENTATION_NEEDED_CODE, 0, mtu_bytes)
    return ip_frame(
        eth_src=src_mac,
        eth_dst=dst_mac,
        ip_version=4,
        src_ip=router_ip,
        dst_ip=original.src,
        proto=PROTO_ICMP,
        segment=header.pack() + original_frame[l3_offset:quote_end],
        vlan_id=ethernet.vlan_id,
    )


def build_icmpv6_packet_too_big(
    original_frame: bytes, mtu_bytes: int, *, src_mac: MacLike, dst_mac: MacLike, router_ip: int
) -> bytes:
    """ICMPv6 "packet too big" to the sender of `original_frame`."""
    ethernet, l3_offset = Ethernet.unpack(original_frame, 0)
    if ethernet.ethertype != ETHERTYPE_IPV6:
        raise ValueError("not an IPv6 frame")
    original, payload_start = Ipv6.unpack(original_frame, l3_offset)
    ip_end = min(payload_start + original.payload_length, len(original_frame))
    quote_end = min(ip_end, l3_offset + _PACKET_TOO_BIG_QUOTE_BYTES)
    header = Icmpv6(icmpv6.PACKET_TOO_BIG, 0, 0, mtu_bytes)
    return ip_frame(
        eth_src=src_mac,
        eth_dst=dst_mac,
        ip_version=6,
        src_ip=router_ip,
        dst_ip=original.src,
        proto=PROTO_ICMPV6,
        segment=header.pack() + original_frame[l3_offset:quote_end],
        vlan_id=ethernet.vlan_id,
    )


def build_icmp_echo_reply(request_frame: bytes) -> bytes:
    """ICMP echo reply answering an IPv4 echo request frame."""
    return _echo_reply(request_frame, 4, icmp.ECHO_REQUEST, icmp.ECHO_REPLY)


def build_icmpv6_echo_reply(request_frame: bytes) -> bytes:
    """ICMPv6 echo reply answering an IPv6 echo request frame."""
    return _echo_reply(request_frame, 6, icmpv6.ECHO_REQUEST, icmpv6.ECHO_REPLY)


def _echo_reply(request_frame: bytes, ip_version: int, request_type: int, reply_type: int) -> bytes:
    request = parse_frame(request_frame)
    proto = PROTO_ICMP if ip_version == 4 else PROTO_ICMPV6
    l4_offset, payload_offset = request.l4_offset, request.payload_offset
    if (
        (request.ip_version, request.proto, request.icmp_type) != (ip_version, proto, request_type)
        or l4_offset is None
        or payload_offset is None
    ):
        raise ValueError(f"not an unfragmented IPv{ip_version} echo request")
    rest_of_header = int.from_bytes(request_frame[l4_offset + 4 : l4_offset + 8], "big")
    data = request_frame[payload_offset : request.l3_offset + request.ip_total_length]
    header_type = Icmp if ip_version == 4 else Icmpv6
    header = header_type(reply_type, 0, 0, rest_of_header)
    return ip_frame(
        eth_src=request.eth_dst,
        eth_dst=request.eth_src,
        ip_version=ip_version,
        src_ip=request.dst_ip,
        dst_ip=request.src_ip,
        proto=proto,
        segment=header.pack() + data,
        vlan_id=request.vlan_id,
    )
