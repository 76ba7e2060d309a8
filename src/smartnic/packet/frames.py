"""Frame builders: whole Ethernet frames with correct lengths and checksums.

Used by tests, the scenario runner and simulated VMs. MACs may be given as
bytes or "02:00:..." text; IPs are ints. Frames are zero-padded to the
60-byte Ethernet minimum, as a NIC would on transmit.
"""

from __future__ import annotations

from typing import NamedTuple

from smartnic.packet import icmpv6
from smartnic.packet.addr import as_mac_bytes, ipv6_multicast_mac, solicited_node_multicast
from smartnic.packet.arp import Arp
from smartnic.packet.checksum import internet_checksum, l4_checksum
from smartnic.packet.ethernet import (
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    MIN_FRAME_BYTES,
    Ethernet,
)
from smartnic.packet.icmp import ICMP_CHECKSUM_OFFSET, Icmp
from smartnic.packet.icmpv6 import ICMPV6_CHECKSUM_OFFSET, Icmpv6, NdMessage, NdOption
from smartnic.packet.ipv4 import Ipv4
from smartnic.packet.ipv6 import IPV6_HEADER_BYTES, Ipv6
from smartnic.packet.l4 import PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP
from smartnic.packet.tcp import TCP_CHECKSUM_OFFSET, Tcp
from smartnic.packet.udp import UDP_CHECKSUM_OFFSET, UDP_HEADER_BYTES, Udp

MacLike = bytes | str


class L4Fields(NamedTuple):
    """Transport fields of `build_frame`; each protocol reads the ones it has."""

    sport: int = 0
    dport: int = 0
    tcp_flags: int = 0
    seq: int = 0
    ack: int = 0
    icmp_type: int = 0
    icmp_code: int = 0
    icmp_id: int = 0
    icmp_seq: int = 0


def pad_frame(frame: bytes) -> bytes:
    """Zero-pad a frame to the 60-byte Ethernet minimum."""
    return frame + bytes(MIN_FRAME_BYTES - len(frame)) if len(frame) < MIN_FRAME_BYTES else frame


def ethernet_frame(
    eth_src: MacLike, eth_dst: MacLike, ethertype: int, payload: bytes, vlan_id: int | None = None
) -> bytes:
    """Ethernet header (optionally 802.1Q tagged) + payload, padded."""
    header = Ethernet(as_mac_bytes(eth_dst), as_mac_bytes(eth_src), ethertype, vlan_id)
    return pad_frame(header.pack() + payload)


def finish_l4_checksum(
    ip_version: int, src_ip: int, dst_ip: int, proto: int, segment: bytes
) -> bytes:
    """Fill the checksum of a TCP/UDP/ICMP/ICMPv6 segment whose checksum field is zero."""
    if proto == PROTO_TCP:
        offset, value = TCP_CHECKSUM_OFFSET, l4_checksum(ip_version, src_ip, dst_ip, proto, segment)
    elif proto == PROTO_UDP:
        offset, value = UDP_CHECKSUM_OFFSET, l4_checksum(ip_version, src_ip, dst_ip, proto, segment)
        value = value or 0xFFFF  # 0 means "no checksum"; send its ones' complement twin (RFC 768)
    elif proto == PROTO_ICMP and ip_version == 4:
        offset, value = ICMP_CHECKSUM_OFFSET, internet_checksum(segment)
    elif proto == PROTO_ICMPV6 and ip_version == 6:
        offset, value = ICMPV6_CHECKSUM_OFFSET, l4_checksum(6, src_ip, dst_ip, proto, segment)
    else:
        return segment
    return segment[:offset] + value.to_bytes(2, "big") + segment[offset + 2 :]


def ip_packet(
    *,
    ip_version: int,
    src_ip: int,
    dst_ip: int,
    proto: int,
    segment: bytes,
    ttl: int = 64,
    df: bool = False,
    ip_id: int = 0,
) -> bytes:
    """IPv4 or IPv6 header + `segment` (taken as is: checksums are the caller's)."""
    if ip_version == 4:
        total_length = 20 + len(segment)
        header = Ipv4(src_ip, dst_ip, proto, total_length, ttl, ip_id, df)
        return header.pack() + segment
    if ip_version == 6:
        return Ipv6(src_ip, dst_ip, proto, len(segment), hop_limit=ttl).pack() + segment
    raise ValueError(f"IP version must be 4 or 6, got {ip_version}")


def ip_frame(
    *,
    eth_src: MacLike,
    eth_dst: MacLike,
    ip_version: int,
    src_ip: int,
    dst_ip: int,
    proto: int,
    segment: bytes,
    ttl: int = 64,
    df: bool = False,
    ip_id: int = 0,
    vlan_id: int | None = None,
) -> bytes:
    """Ethernet + IP + `segment` with its L4 checksum filled in."""
    segment = finish_l4_checksum(ip_version, src_ip, dst_ip, proto, segment)
    packet = ip_packet(
        ip_version=ip_version,
        src_ip=src_ip,
        dst_ip=dst_ip,
        proto=proto,
        segment=segment,
        ttl=ttl,
        df=df,
        ip_id=ip_id,
    )
    ethertype = ETHERTYPE_IPV4 if ip_version == 4 else ETHERTYPE_IPV6
    return ethernet_frame(eth_src, eth_dst, ethertype, packet, vlan_id)


def build_frame(
    *,
    eth_src: MacLike,
    eth_dst: MacLike,
    ip_version: int,
    src_ip: int,
    dst_ip: int,
    proto: int,
    sport: int = 0,
    dport: int = 0,
    tcp_flags: int = 0,
    seq: int = 0,
    ack: int = 0,
    icmp_type: int = 0,
    icmp_code: int = 0,
    icmp_id: int = 0,
    icmp_seq: int = 0,
    payload: bytes = b"",
    ip_total_length: int | None = None,
    ttl: int = 64,
    df: bool = False,
    ip_id: int = 0,
    vlan_id: int | None = None,
) -> bytes:
    """An IPv4/IPv6 frame carrying TCP, UDP, ICMP, ICMPv6 or raw `payload` for other protocols.

    `ip_total_length` zero-pads the payload so the IP packet has exactly that length.
    """
    fields = L4Fields(sport, dport, tcp_flags, seq, ack, icmp_type, icmp_code, icmp_id, icmp_seq)
    header_bytes = len(_l4_header(ip_version, proto, fields, 0))
    if ip_total_length is not None:
        ip_header_bytes = 20 if ip_version == 4 else IPV6_HEADER_BYTES
        padding_bytes = ip_total_length - ip_header_bytes - header_bytes - len(payload)
        if padding_bytes < 0:
            raise ValueError(f"ip_total_length {ip_total_length} is too small for the contents")
        payload = payload + bytes(padding_bytes)
    segment = _l4_header(ip_version, proto, fields, len(payload)) + payload
    return ip_frame(
        eth_src=eth_src,
        eth_dst=eth_dst,
        ip_version=ip_version,
        src_ip=src_ip,
        dst_ip=dst_ip,
        proto=proto,
        segment=segment,
        ttl=ttl,
        df=df,
        ip_id=ip_id,
        vlan_id=vlan_id,
    )


def _l4_header(ip_version: int, proto: int, fields: L4Fields, payload_bytes: int) -> bytes:
    """Transport header with a zero checksum; empty for protocols sent as raw payload."""
    if proto == PROTO_TCP:
        return Tcp(fields.sport, fields.dport, fields.seq, fields.ack, fields.tcp_flags).pack()
    if proto == PROTO_UDP:
        return Udp(fields.sport, fields.dport, UDP_HEADER_BYTES + payload_bytes).pack()
    rest_of_header = (fields.icmp_id << 16) | fields.icmp_seq
    if proto == PROTO_ICMP and ip_version == 4:
        return Icmp(fields.icmp_type, fields.icmp_code, 0, rest_of_header).pack()
    if proto == PROTO_ICMPV6 and ip_version == 6:
        return Icmpv6(fields.icmp_type, fields.icmp_code, 0, rest_of_header).pack()
    return b""


def build_arp(
    *,
    op: int,
    sender_mac: MacLike,
    sender_ip: int,
    target_mac: MacLike,
    target_ip: int,
    eth_dst: MacLike,
    vlan_id: int | None = None,
) -> bytes:
    """ARP request (op 1) or reply (op 2) from `sender_mac`."""
    sender, target = as_mac_bytes(sender_mac), as_mac_bytes(target_mac)
    arp = Arp(op, sender, sender_ip, target, target_ip)
    return ethernet_frame(sender, eth_dst, ETHERTYPE_ARP, arp.pack(), vlan_id)


def build_neighbor_solicitation(
    *,
    src_mac: MacLike,
    src_ip: int,
    target_ip: int,
    dst_mac: MacLike | None = None,
    dst_ip: int | None = None,
    vlan_id: int | None = None,
) -> bytes:
    """NS for `target_ip`, by default to its solicited-node group (RFC 4861 §7.2.2).

    A source of :: (duplicate address detection) carries no source link-layer
    address option, as RFC 4861 §4.3 requires.
    """
    if dst_ip is None:
        dst_ip = solicited_node_multicast(target_ip)
    mac = as_mac_bytes(src_mac)
    options = () if src_ip == 0 else (NdOption.link_address(icmpv6.OPTION_SOURCE_LINK_ADDR, mac),)
    message = NdMessage(icmpv6.NEIGHBOR_SOLICITATION, target_ip, options)
    header = Icmpv6(icmpv6.NEIGHBOR_SOLICITATION)
    return ip_frame(
        eth_src=mac,
        eth_dst=ipv6_multicast_mac(dst_ip) if dst_mac is None else dst_mac,
        ip_version=6,
        src_ip=src_ip,
        dst_ip=dst_ip,
        proto=PROTO_ICMPV6,
        segment=header.pack() + message.pack(),
        ttl=icmpv6.ND_HOP_LIMIT,
        vlan_id=vlan_id,
    )


def build_neighbor_advertisement(
    *,
    src_mac: MacLike,
    dst_mac: MacLike,
    src_ip: int,
    dst_ip: int,
    target_ip: int,
    target_mac: MacLike,
    router: bool,
    solicited: bool,
    override: bool = True,
    vlan_id: int | None = None,
) -> bytes:
    """NA for `target_ip` with a target link-layer address option (RFC 4861 §7.2.4)."""
    flags = (
        (icmpv6.NA_ROUTER_FLAG if router else 0)
        | (icmpv6.NA_SOLICITED_FLAG if solicited else 0)
        | (icmpv6.NA_OVERRIDE_FLAG if override else 0)
    )
    option = NdOption.link_address(icmpv6.OPTION_TARGET_LINK_ADDR, as_mac_bytes(target_mac))
    message = NdMessage(icmpv6.NEIGHBOR_ADVERTISEMENT, target_ip, (option,))
    header = Icmpv6(icmpv6.NEIGHBOR_ADVERTISEMENT, 0, 0, flags)
    return ip_frame(
        eth_src=src_mac,
        eth_dst=dst_mac,
        ip_version=6,
        src_ip=src_ip,
        dst_ip=dst_ip,
        proto=PROTO_ICMPV6,
        segment=header.pack() + message.pack(),
        ttl=icmpv6.ND_HOP_LIMIT,
        vlan_id=vlan_id,
    )
