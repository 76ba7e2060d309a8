"""Flow keys: what identifies a flow for the cache, per input side."""

from __future__ import annotations

from smartnic.packet.parse import Packet


def l4_identity(pkt: Packet) -> tuple[int, ...]:
    return (pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.sport, pkt.dport,
            pkt.icmp_type, pkt.icmp_code, pkt.icmp_id)


def vm_flow_key(eni_tag: int, pkt: Packet) -> tuple[int, ...]:
    return (0, eni_tag, *l4_identity(pkt))


def underlay_flow_key(
    outer_src_ip: int, vni: int, sender_tag: int, receiver_tag: int, pkt: Packet
) -> tuple[int, ...]:
    return (1, outer_src_ip, vni, sender_tag, receiver_tag, *l4_identity(pkt))


def fragment_key(side: int, pkt: Packet) -> tuple[int, ...]:
    return (side, pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.ip_id)
