"""Whole-frame parser: Ethernet (+802.1Q) → ARP | IPv4 | IPv6 → TCP/UDP/ICMP/ICMPv6.

`parse_frame` returns a flat `Packet` that the policy code reads, or raises
`MalformedPacket` with a named reason. Rules beyond the per-header checks:

- The frame must hold the whole IP packet (else `truncated_ipv4/6`); bytes
  after it are Ethernet padding and ignored.
- Fragments: a non-last fragment must carry a multiple of 8 bytes and the
  reassembled packet must fit 65535 bytes; a first fragment must hold the L4
  fixed header (TCP 20 bytes so the flags are visible, RFC 1858; others 8);
  a TCP fragment at offset 8 is rejected (RFC 1858 overlap attack);
  fragmented ND is rejected (RFC 6980). All are `bad_fragment`.
- L4 checksums are verified only on unfragmented packets. An IPv4 UDP
  checksum of 0 means none; in IPv6 it is invalid (RFC 8200 §8.1) unless
  `zero_udp6_checksum_ok` (tunnels, RFC 6935).
- IPv6 jumbograms (payload length 0 with hop-by-hop) are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.packet.arp import Arp
from smartnic.packet.checksum import internet_checksum
from smartnic.packet.errors import (
    BAD_FRAGMENT,
    BAD_IPV4_CHECKSUM,
    BAD_IPV6_PAYLOAD_LENGTH,
    TRUNCATED_IPV4,
    TRUNCATED_IPV6,
    UNSUPPORTED_ETHERTYPE,
    MalformedPacket,
)
from smartnic.packet.ethernet import ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, Ethernet
from smartnic.packet.ipv4 import Ipv4
from smartnic.packet.ipv6 import HOP_BY_HOP, IPV6_HEADER_BYTES, Ipv6, walk_extension_headers
from smartnic.packet.l4 import PROTO_TCP, L4Context, parse_l4


@dataclass(slots=True)
class Packet:
    """Flat view of one frame's headers; offsets index into the frame."""

    eth_dst: bytes
    eth_src: bytes
    ethertype: int
    vlan_id: int | None
    l3_offset: int
    arp: Arp | None = None
    ip_version: int = 0
    src_ip: int = 0
    dst_ip: int = 0
    proto: int = 0
    ttl: int = 0
    ip_total_length: int = 0
    ip_id: int = 0
    df: bool = False
    more_fragments: bool = False
    fragment_offset: int = 0
    is_fragment: bool = False
    l4_offset: int | None = None
    sport: int = 0
    dport: int = 0
    tcp_flags: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    icmp_id: int = 0
    payload_offset: int | None = None
    nd_target: int | None = None
    nd_link_addr: bytes | None = None


def parse_frame(
    frame: bytes | bytearray | memoryview,
    verify_checksums: bool = True,
    *,
    zero_udp6_checksum_ok: bool = False,
) -> Packet:
    """Decode one Ethernet frame (without FCS) into a `Packet`."""
    view = memoryview(frame)
    ethernet, l3_offset = Ethernet.unpack(view, 0)
    packet = Packet(ethernet.dst, ethernet.src, ethernet.ethertype, ethernet.vlan_id, l3_offset)
    if ethernet.ethertype == ETHERTYPE_IPV4:
        _parse_ipv4(view, packet, verify_checksums)
    elif ethernet.ethertype == ETHERTYPE_IPV6:
        _parse_ipv6(view, packet, verify_checksums, zero_udp6_checksum_ok)
    elif ethernet.ethertype == ETHERTYPE_ARP:
        packet.arp, _ = Arp.unpack(view, l3_offset)
    else:
        raise MalformedPacket(UNSUPPORTED_ETHERTYPE, f"ethertype {ethernet.ethertype:#06x}")
    return packet


def _parse_ipv4(view: memoryview, packet: Packet, verify_checksums: bool) -> None:
    l3_offset = packet.l3_offset
    header, l4_start = Ipv4.unpack(view, l3_offset)
    ip_end = l3_offset + header.total_length
    if len(view) < ip_end:
        raise MalformedPacket(TRUNCATED_IPV4, f"frame ends {ip_end - len(view)} bytes short")
    if verify_checksums and internet_checksum(view[l3_offset:l4_start]) != 0:
        raise MalformedPacket(BAD_IPV4_CHECKSUM)
    packet.ip_version = 4
    packet.src_ip, packet.dst_ip, packet.proto = header.src, header.dst, header.proto
    packet.ttl, packet.ip_total_length = header.ttl, header.total_length
    packet.ip_id, packet.df = header.identification, header.df
    data_bytes = ip_end - l4_start
    if header.mf and data_bytes % 8:
        raise MalformedPacket(BAD_FRAGMENT, f"non-last fragment of {data_bytes} bytes")
    _record_fragment(packet, header.mf, header.fragment_offset_bytes)
    if header.fragment_offset_bytes == 0:
        context = L4Context(l4_start, header.mf, verify_checksums, False, header.dst)
        parse_l4(packet, view[l4_start:ip_end], context)


def _parse_ipv6(
    view: memoryview, packet: Packet, verify_checksums: bool, zero_udp6_checksum_ok: bool
) -> None:
    header, chain_start = Ipv6.unpack(view, packet.l3_offset)
    if header.payload_length == 0 and header.next_header == HOP_BY_HOP:
        raise MalformedPacket(BAD_IPV6_PAYLOAD_LENGTH, "jumbograms are not supported")
    ip_end = chain_start + header.payload_length
    if len(view) < ip_end:
        raise MalformedPacket(TRUNCATED_IPV6, f"frame ends {ip_end - len(view)} bytes short")
    chain = walk_extension_headers(view[:ip_end], chain_start, header.next_header)
    packet.ip_version = 6
    packet.src_ip, packet.dst_ip, packet.proto = header.src, header.dst, chain.upper_proto
    packet.ttl, packet.ip_total_length = header.hop_limit, IPV6_HEADER_BYTES + header.payload_length
    packet.df = True  # routers never fragment IPv6 (RFC 8200 §5)
    fragment = chain.fragment
    if fragment is None:
        first_fragment = False
    else:
        packet.ip_id = fragment.identification
        _record_fragment(packet, fragment.more_fragments, fragment.fragment_offset_bytes)
        first_fragment = fragment.more_fragments and fragment.fragment_offset_bytes == 0
    if packet.fragment_offset == 0:
        upper_offset = chain.upper_offset
        pseudo_dst_ip = header.dst if chain.final_dst is None else chain.final_dst
        context = L4Context(
            upper_offset, first_fragment, verify_checksums, zero_udp6_checksum_ok, pseudo_dst_ip
        )
        parse_l4(packet, view[upper_offset:ip_end], context)


def _record_fragment(packet: Packet, more_fragments: bool, fragment_offset_bytes: int) -> None:
    packet.more_fragments = more_fragments
    packet.fragment_offset = fragment_offset_bytes
    packet.is_fragment = more_fragments or fragment_offset_bytes != 0
    if fragment_offset_bytes == 8 and packet.proto == PROTO_TCP:
        raise MalformedPacket(BAD_FRAGMENT, "TCP fragment at offset 8 (RFC 1858)")
