"""Flow keys: what identifies a flow for the cache, per input side."""

from __future__ import annotations

from smartnic.packet.parse import Packet


def l4_identity(pkt: Packet) -> tuple[int, ...]:
    return (pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.sport, pkt.dport,
            pkt.icmp_type, pkt.icmp_code, pkt.icmp_id)


def vm_origin(eni_tag: int) -> tuple[int, ...]:
    """Who handed us the packet, on the VM side: the sending ENI."""
    return (0, eni_tag)


def underlay_origin(outer_src_ip: int, vni: int, sender_tag: int,
                    receiver_tag: int) -> tuple[int, ...]:
    """Who handed us the packet, on the underlay side, and for which local ENI."""
    return (1, outer_src_ip, vni, sender_tag, receiver_tag)


def flow_key(origin: tuple[int, ...], pkt: Packet) -> tuple[int, ...]:
    return (*origin, *l4_identity(pkt))


def fragment_key(origin: tuple[int, ...], pkt: Packet) -> tuple[int, ...]:
    """A datagram's fragments share the origin and IP identification, not ports; keeping
    the origin stops another sender's fragment from borrowing a verdict (SG-R9a)."""
    return (*origin, pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.ip_id)
