"""Stage `reserved_service`: traffic to the VPC's own addresses (SG-R17, NACL-R9, FL-R10).

Amazon DNS (VPC primary CIDR base+2, 169.254.169.253, fd00:ec2::253), instance metadata
(169.254.169.254, fd00:ec2::254), Amazon Time Sync (169.254.169.123, fd00:ec2::123) and
DHCP (broadcast, multicast, or unicast to the sender's subnet router, the server
identifier of the leases) are answered by the engine itself: never filtered by SGs or
NACLs, never flow-logged,
limited to 1024 packets/s per ENI each (ORD-R4, counter `linklocal_allowance_exceeded`).

Every other destination AWS keeps for itself ends here too, before any SG, route or NACL,
dropped at `no_destination` without a flow-log record — no security verdict is reached
and no receiver exists:

* `vpc_router`: the router address of a subnet of the VPC (base+1, IPv6 `::1`; SG-R17
  and FL-R10 name "the reserved IP of the default VPC router");
* `reserved_address`: the other reserved addresses of a subnet of the VPC (ADDR-R3/R4:
  network, base+2 when not the DNS address, base+3, the last address; IPv6 `::`, `::2`,
  `::3`, the last);
* `link_local`: 169.254.0.0/16 and fe80::/10 other than the services (never forwarded,
  even under a covering route: ADDR-R5);
* `aws_reserved_range`: fd00:ec2::/32 other than the services (ADDR-R5);
* `broadcast_or_multicast`: 255.255.255.255, 224.0.0.0/4, ff00::/8 (ENI-R7).

Reserved addresses of a peered VPC are that VPC's business: the packet is routed and the
route stage finds no receiver there. Input: a packet from a VM port. Output: ToService,
or a drop `no_destination`, or pass.
"""

from __future__ import annotations

from smartnic.compiler.cidr import format_ip, parse_cidr, parse_ip
from smartnic.compiler.program import Program
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
_LINK_LOCAL = (parse_cidr("169.254.0.0/16"), parse_cidr("fe80::/10"))
_AWS_RESERVED = parse_cidr("fd00:ec2::/32")
DHCP_SERVER_PORT = 67
DHCPV6_SERVER_PORT = 547
PROTO_UDP = 17
_WHY = {
    "vpc_router": "the VPC router's reserved address answers no IP traffic (ADDR-R3/R4); "
                  "not filtered or logged (SG-R17, NACL-R9, FL-R10)",
    "reserved_address": "a reserved address of a subnet: no interface can hold it "
                        "(ADDR-R3/R4); not filtered or logged (SG-R17, FL-R10)",
    "link_local": "link-local addresses are never forwarded (ADDR-R5)",
    "aws_reserved_range": "fd00:ec2::/32 is reserved for AWS services (ADDR-R5)",
    "broadcast_or_multicast": "broadcast and multicast have no receiver in a VPC (ENI-R7)",
}


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
        assert walk.src_eni is not None
        router = ctx.program.subnet_of(walk.src_eni).router_ip(pkt.ip_version)
        if pkt.dst_ip == router:  # a renewal unicast to the server identifier (DHCP-R1)
            return "dhcp"
    return None


def serve_reserved(ctx: EngineContext, walk: Walk) -> bool:
    """Short-circuits service traffic; returns False when the walk is finished here."""
    service = service_for(ctx, walk)
    pkt, eni = walk.pkt, walk.src_eni
    assert eni is not None and walk.vpc is not None
    if service is None:
        reason = unserved_reason(ctx.program, walk.vpc.id, pkt.ip_version, pkt.dst_ip)
        if reason is None:
            return True
        return walk.dropped(STAGE, "no_destination", reason,
                            f"{format_ip(pkt.ip_version, pkt.dst_ip)}: {_WHY[reason]}")
    if service == "amazon-dns" and not walk.vpc.dns_enabled:
        return walk.dropped(STAGE, "no_destination", "dns_support_disabled",
                            f"enableDnsSupport is false on {walk.vpc.id} (DNS-R1)")
    walk.effects.append(RateGate(eni.id, "linklocal", LINKLOCAL_PPS))
    walk.output = ToService(service, eni.id)
    walk.note(STAGE, ANSWER, f"{service} answers on the host, unfiltered and unlogged",
              f"VPC service (SG-R17, NACL-R9, FL-R10; {LINKLOCAL_PPS} packets/s, ORD-R4)")
    return False


def unserved_reason(program: Program, vpc_id: str, version: int, address: int) -> str | None:
    """Why a destination that is not a service has no receiver, or None to route it."""
    if key_is_broadcast(version, address):
        return "broadcast_or_multicast"
    if any(block.contains(version, address) for block in _LINK_LOCAL):
        return "link_local"
    if _AWS_RESERVED.contains(version, address):
        return "aws_reserved_range"
    if not program.vpcs[vpc_id].contains(version, address):
        return None
    subnet = next((s for s in program.subnets.values()
                   if s.vpc_id == vpc_id and s.contains(version, address)), None)
    if subnet is None or (version, address) not in subnet.reserved:
        return None
    return "vpc_router" if address == subnet.router_ip(version) else "reserved_address"


def key_is_broadcast(version: int, address: int) -> bool:
    return (version, address) == _BROADCAST or _is_multicast(version, address)


def _is_multicast(version: int, address: int) -> bool:
    if version == 4:
        return (address >> 28) == 0xE
    return (address >> 120) == 0xFF
