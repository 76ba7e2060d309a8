"""Stage `l2`: the engine is the VPC router on the link (ENI-R5 [U]).

ARP requests and IPv6 neighbour solicitations from a VM are answered on the host, never
flooded: the subnet router (.1 / ::1 / fe80:ec2::1) answers with the VPC router's MAC, an
address held by another ENI of the same subnet with that ENI's MAC. Anything else gets no
answer. Nothing a VM says at layer 2 is learned or forwarded, so no VM can change where
another's traffic goes; what can only be a lie is dropped and counted (`refusal`):
ARP whose sender is not the VM (gratuitous ARP or replies claiming another's address,
spoofed requests), neighbour advertisements for an address that is not the VM's, router
advertisements and redirects (only the VPC router routes). Other ARP and neighbour
discovery (announcements of the VM's own address, router solicitations) is absorbed.
Drop: `l2` (`arp_sender_not_owned`, `neighbor_advertisement_not_owned`,
`router_advertisement`, `redirect`).
"""

from __future__ import annotations

from smartnic.compiler.cidr import parse_ip
from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView
from smartnic.packet.frames import build_arp, build_neighbor_advertisement
from smartnic.packet.parse import Packet

ARP_REQUEST = 1
ARP_REPLY = 2
ICMPV6 = 58
ROUTER_SOLICITATION, ROUTER_ADVERTISEMENT = 133, 134
NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT, REDIRECT = 135, 136, 137
ROUTER_LINK_LOCAL = parse_ip("fe80:ec2::1")[1]


def is_l2_control(pkt: Packet) -> bool:
    """ARP and ICMPv6 router/neighbour discovery and redirects: never routed."""
    return pkt.arp is not None or (
        pkt.ip_version == 6 and pkt.proto == ICMPV6
        and ROUTER_SOLICITATION <= pkt.icmp_type <= REDIRECT
    )


def refusal(eni: EniView, pkt: Packet) -> str | None:
    """Why a VM's layer-2 control frame is a spoofing attempt, or None (ENI-R5, ENI-R6)."""
    arp = pkt.arp
    if arp is not None:
        sender_ok = arp.sender_ip == 0 or eni.owns(4, arp.sender_ip)
        return None if sender_ok and arp.sender_mac == eni.mac else "arp_sender_not_owned"
    if pkt.icmp_type == ROUTER_ADVERTISEMENT:
        return "router_advertisement"
    if pkt.icmp_type == REDIRECT:
        return "redirect"
    if pkt.icmp_type == NEIGHBOR_ADVERTISEMENT and (
            pkt.nd_target is None or not eni.owns(6, pkt.nd_target)):
        return "neighbor_advertisement_not_owned"
    return None


def answer(program: Program, eni: EniView, pkt: Packet) -> list[bytes]:
    if pkt.arp is not None:
        return _answer_arp(program, eni, pkt)
    if pkt.icmp_type == NEIGHBOR_SOLICITATION and pkt.nd_target is not None:
        return _answer_ns(program, eni, pkt)
    return []


def resolve(program: Program, eni: EniView, version: int, address: int) -> bytes | None:
    """The MAC an address has on `eni`'s link, as the VPC router answers it."""
    subnet = program.subnet_of(eni)
    if not subnet.contains(version, address) and address != ROUTER_LINK_LOCAL:
        return None
    if address == subnet.router_ip(version) or address == ROUTER_LINK_LOCAL:
        return program.vpcs[eni.vpc_id].router_mac
    owner = program.owner_of(eni.vpc_id, version, address)
    return owner.mac if owner is not None and owner.subnet_id == subnet.id else None


def _answer_arp(program: Program, eni: EniView, pkt: Packet) -> list[bytes]:
    arp = pkt.arp
    assert arp is not None
    if arp.op != ARP_REQUEST or arp.target_ip == arp.sender_ip:
        return []
    if arp.sender_ip == 0 and eni.owns(4, arp.target_ip):
        return []  # an RFC 5227 probe for its own address: silence means "no conflict"
    mac = resolve(program, eni, 4, arp.target_ip)
    if mac is None:
        return []
    return [build_arp(op=ARP_REPLY, sender_mac=mac, sender_ip=arp.target_ip,
                      target_mac=arp.sender_mac, target_ip=arp.sender_ip,
                      eth_dst=arp.sender_mac)]


def _answer_ns(program: Program, eni: EniView, pkt: Packet) -> list[bytes]:
    target = pkt.nd_target
    assert target is not None
    if pkt.src_ip == 0:
        return []  # duplicate address detection: stay silent, the address is the VM's
    mac = resolve(program, eni, 6, target)
    if mac is None:
        return []
    router = mac == program.vpcs[eni.vpc_id].router_mac
    return [build_neighbor_advertisement(
        src_mac=mac, dst_mac=pkt.eth_src, src_ip=target, dst_ip=pkt.src_ip,
        target_ip=target, target_mac=mac, router=router, solicited=True,
    )]
