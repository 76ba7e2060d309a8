"""Overlay encapsulation and decapsulation: VXLAN (RFC 7348) and Geneve (RFC 8926).

The outer headers follow RFC 7348 §5 and what Linux expects: outer IPv4 has
DF set, TTL 64 and a zero UDP checksum; outer IPv6 has a computed UDP
checksum (zero is still accepted on receipt, RFC 6935). The optional
16-bit sender tag (identity of the sending interface) rides in the VXLAN
Group Policy ID, or in a Geneve option of experimental class 0xFF01 type 1
(RFC 8926 §9: 0xFF00-0xFFFF are for experimental use). Without a tag, VXLAN
is plain RFC 7348 (flags 0x08), since Linux drops unknown flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from smartnic.packet.errors import (
    BAD_GENEVE_OPTIONS,
    FRAGMENTED_OVERLAY,
    NOT_OVERLAY,
    TRUNCATED_ETHERNET,
    UNSUPPORTED_GENEVE_PROTOCOL,
    MalformedPacket,
)
from smartnic.packet.ethernet import ETHERNET_HEADER_BYTES, ETHERTYPE_IPV4, ETHERTYPE_IPV6
from smartnic.packet.frames import MacLike, ethernet_frame, finish_l4_checksum, ip_packet
from smartnic.packet.geneve import GENEVE_PORT, PROTOCOL_ETHERNET, Geneve, GeneveOption
from smartnic.packet.l4 import PROTO_UDP
from smartnic.packet.parse import parse_frame
from smartnic.packet.udp import UDP_HEADER_BYTES, Udp
from smartnic.packet.vxlan import VXLAN_PORT, Vxlan

OverlayKind = Literal["vxlan", "geneve"]

SENDER_TAG_OPTION_CLASS = 0xFF01
SENDER_TAG_OPTION_TYPE = 0x01
ENTROPY_PORT_MIN = 49152  # RFC 7348 §5: source port from the dynamic/private range
_ENTROPY_PORT_MASK = 0x3FFF
_MAX_SENDER_TAG = 0xFFFF
OUTER_TTL = 64


@dataclass(frozen=True, slots=True)
class OverlayHeader:
    """What `decapsulate` learned from the outer headers."""

    kind: OverlayKind
    vni: int
    sender_tag: int | None
    outer_src_ip: int
    outer_dst_ip: int
    outer_ip_version: int
    udp_src_port: int
    udp_dst_port: int
    geneve_options: tuple[GeneveOption, ...] = ()
    oam: bool = False  # Geneve control packet: must not reach a tenant (RFC 8926 §3.4)


def flow_entropy_port(hash32: int) -> int:
    """Map an inner-flow hash to a UDP source port in 49152..65535 (RFC 7348 §5)."""
    folded = hash32 ^ (hash32 >> 16)
    return ENTROPY_PORT_MIN + (folded & _ENTROPY_PORT_MASK)


def sender_tag_option(sender_tag: int) -> GeneveOption:
    """The Geneve option that carries a sender tag."""
    data = sender_tag.to_bytes(4, "big")
    return GeneveOption(SENDER_TAG_OPTION_CLASS, SENDER_TAG_OPTION_TYPE, data)


def encapsulate(
    inner_frame: bytes,
    *,
    kind: OverlayKind,
    vni: int,
    outer_src_mac: MacLike,
    outer_dst_mac: MacLike,
    outer_src_ip: int,
    outer_dst_ip: int,
    outer_ip_version: int = 4,
    udp_src_port: int,
    sender_tag: int | None = None,
    dst_port: int | None = None,
) -> bytes:
    """Wrap `inner_frame` in Ethernet + IP + UDP + VXLAN/Geneve."""
    if sender_tag is not None and not 0 <= sender_tag <= _MAX_SENDER_TAG:
        raise ValueError(f"sender tag must fit 16 bits, got {sender_tag}")
    if kind == "vxlan":
        tunnel_header = Vxlan(vni, sender_tag).pack()
        default_port = VXLAN_PORT
    elif kind == "geneve":
        options = () if sender_tag is None else (sender_tag_option(sender_tag),)
        tunnel_header = Geneve(vni, PROTOCOL_ETHERNET, options).pack()
        default_port = GENEVE_PORT
    else:
        raise ValueError(f"overlay kind must be 'vxlan' or 'geneve', got {kind!r}")
    udp_port = default_port if dst_port is None else dst_port
    udp_length = UDP_HEADER_BYTES + len(tunnel_header) + len(inner_frame)
    segment = Udp(udp_src_port, udp_port, udp_length).pack() + tunnel_header + inner_frame
    if outer_ip_version == 6:
        segment = finish_l4_checksum(6, outer_src_ip, outer_dst_ip, PROTO_UDP, segment)
    return _outer_frame(
        segment, outer_src_mac, outer_dst_mac, outer_src_ip, outer_dst_ip, outer_ip_version
    )


def _outer_frame(
    segment: bytes, src_mac: MacLike, dst_mac: MacLike, src_ip: int, dst_ip: int, ip_version: int
) -> bytes:
    packet = ip_packet(
        ip_version=ip_version,
        src_ip=src_ip,
        dst_ip=dst_ip,
        proto=PROTO_UDP,
        segment=segment,
        ttl=OUTER_TTL,
        df=True,
    )
    ethertype = ETHERTYPE_IPV4 if ip_version == 4 else ETHERTYPE_IPV6
    return ethernet_frame(src_mac, dst_mac, ethertype, packet)


def decapsulate(
    frame: bytes | bytearray | memoryview,
    *,
    vxlan_ports: tuple[int, ...] = (VXLAN_PORT,),
    geneve_ports: tuple[int, ...] = (GENEVE_PORT,),
) -> tuple[OverlayHeader, bytes]:
    """Split an overlay frame into what the outer headers say and the inner frame.

    Raises `MalformedPacket`: outer header faults keep their own reasons;
    `not_overlay` for other traffic, `fragmented_overlay` for outer fragments.
    """
    outer = parse_frame(frame, zero_udp6_checksum_ok=True)
    if outer.is_fragment:
        raise MalformedPacket(FRAGMENTED_OVERLAY)
    if outer.proto != PROTO_UDP or outer.payload_offset is None or outer.l4_offset is None:
        raise MalformedPacket(NOT_OVERLAY, f"IP protocol {outer.proto}")
    view = memoryview(frame)
    udp, _ = Udp.unpack(view, outer.l4_offset)
    view = view[: outer.l4_offset + udp.length]
    if outer.dport in vxlan_ports:
        tunnel = _read_vxlan(view, outer.payload_offset)
    elif outer.dport in geneve_ports:
        tunnel = _read_geneve(view, outer.payload_offset)
    else:
        raise MalformedPacket(NOT_OVERLAY, f"UDP port {outer.dport}")
    if len(view) - tunnel.inner_start < ETHERNET_HEADER_BYTES:
        raise MalformedPacket(TRUNCATED_ETHERNET, "inner frame")
    header = OverlayHeader(
        kind=tunnel.kind,
        vni=tunnel.vni,
        sender_tag=tunnel.sender_tag,
        outer_src_ip=outer.src_ip,
        outer_dst_ip=outer.dst_ip,
        outer_ip_version=outer.ip_version,
        udp_src_port=outer.sport,
        udp_dst_port=outer.dport,
        geneve_options=tunnel.options,
        oam=tunnel.oam,
    )
    return header, bytes(view[tunnel.inner_start :])


class _Tunnel(NamedTuple):
    kind: OverlayKind
    vni: int
    sender_tag: int | None
    options: tuple[GeneveOption, ...]
    oam: bool
    inner_start: int


def _read_vxlan(view: memoryview, offset: int) -> _Tunnel:
    header, inner_start = Vxlan.unpack(view, offset)
    return _Tunnel("vxlan", header.vni, header.group_policy_id, (), False, inner_start)


def _read_geneve(view: memoryview, offset: int) -> _Tunnel:
    header, inner_start = Geneve.unpack(view, offset)
    if header.protocol_type != PROTOCOL_ETHERNET:
        raise MalformedPacket(UNSUPPORTED_GENEVE_PROTOCOL, f"{header.protocol_type:#06x}")
    sender_tag: int | None = None
    for option in header.options:
        key = (option.option_class, option.option_type)
        if key == (SENDER_TAG_OPTION_CLASS, SENDER_TAG_OPTION_TYPE):
            sender_tag = _sender_tag_value(option)
        elif option.critical:
            # RFC 8926 §3.5: a critical option the receiver does not understand means drop.
            raise MalformedPacket(BAD_GENEVE_OPTIONS, f"unknown critical option {key}")
    return _Tunnel("geneve", header.vni, sender_tag, header.options, header.oam, inner_start)


def _sender_tag_value(option: GeneveOption) -> int:
    value = int.from_bytes(option.data, "big")
    if len(option.data) != 4 or value > _MAX_SENDER_TAG:
        raise MalformedPacket(BAD_GENEVE_OPTIONS, "malformed sender tag option")
    return value
