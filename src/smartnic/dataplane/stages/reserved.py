"""Stage `reserved_service`: traffic to the VPC's own services (SG-R17, NACL-R9, FL-R10).

Amazon DNS (VPC primary CIDR base+2, 169.254.169.253, fd00:ec2::253), instance metadata
(169.254.169.254, fd00:ec2::254), Amazon Time Sync (169.254.169.123, fd00:ec2::123) and
DHCP are answered by the engine itself: never filtered by SGs or NACLs, never flow-logged,
limited to 1024 packets/s per ENI each (ORD-R4, counter `linklocal_allowance_exceeded`).
Other broadcast and multicast destinations have no receiver in a VPC (ENI-R7).

Input: a packet from a VM port. Output: ToService, or a drop `no_destination`, or pass.
"""

from __future__ import annotations

from smartnic.compiler.cidr import parse_ip
from smartnic.dataplane.actions import RateGate, ToService
from smartnic.dataplane.allowance import LINKLOCAL_PPS
from smartnic.dataplane.context import EngineContext, Walk
from smartnic.dataplane.verdict import ANSWER

STAGE = "reserved_service"
_SERVICES = {
    parse_ip("169.254.169.253"): "amazon-dns",
    parse_ip("fd00:ec2::253"): "amazon-dns",
    parse_ip("169.254.169.254"): "imds",
    parse_ip("fd00:ec2::254"): "imds",
    parse_ip("169.254.169.123"): "time-sync",
    parse_ip("fd00:ec2::123"): "time-sync",
}
_BROADCAST = parse_ip("255.255.255.255")
DHCP_SERVER_PORT = 67
DHCPV6_SERVER_PORT = 547
PROTO_UDP = 17


def service_for(ctx: EngineContext, walk: Walk) -> str | None:
    pkt, vpc = walk.pkt, walk.vpc
    assert vpc is not None
    key = (pkt.ip_version, pkt.dst_ip)
    if key == (4, vpc.dns_ipv4) or _SERVICES.get(key) == "amazon-dns":
        return "amazon-dns"
    if key in _SERVICES:
        return _SERVICES[key]
    if pkt.proto == PROTO_UDP and pkt.dport in (DHCP_SERVER_PORT, DHCPV6_SERVER_PORT):
        if key == _BROADCAST or _is_multicast(pkt.ip_version, pkt.dst_ip):
            return "dhcp"
    return None


def serve_reserved(ctx: EngineContext, walk: Walk) -> bool:
    """Short-circuits service traffic; returns False when the walk is finished here."""
    service = service_for(ctx, walk)
    pkt, eni = walk.pkt, walk.src_eni
    assert eni is not None and walk.vpc is not None
    if service is None:
        if key_is_broadcast(pkt.ip_version, pkt.dst_ip):
            return walk.dropped(STAGE, "no_destination", "broadcast_or_multicast",
                                "broadcast and multicast have no receiver in a VPC (ENI-R7)")
        return True
    if service == "amazon-dns" and not walk.vpc.dns_enabled:
        return walk.dropped(STAGE, "no_destination", "dns_support_disabled",
                            f"enableDnsSupport is false on {walk.vpc.id} (DNS-R1)")
    walk.effects.append(RateGate(eni.id, "linklocal", LINKLOCAL_PPS))
    walk.output = ToService(service, eni.id)
    walk.note(STAGE, ANSWER, f"{service} answers on the host, unfiltered and unlogged",
              f"VPC service (SG-R17, NACL-R9, FL-R10; {LINKLOCAL_PPS} packets/s, ORD-R4)")
    return False


def key_is_broadcast(version: int, address: int) -> bool:
    return (version, address) == _BROADCAST or _is_multicast(version, address)


def _is_multicast(version: int, address: int) -> bool:
    if version == 4:
        return (address >> 28) == 0xE
    return (address >> 120) == 0xFF
