"""Plain-tuple copies of one host's policy, as a straightforward implementation holds it.

Input: a compiled Program and a host id. Output: `NaiveTables` — per local ENI its MAC,
addresses, identity tag, subnet, security-group rules of both directions, and the NACL
rules and route table of its subnet — built from the Program's compiled objects into
tuples of ints, so the naive pipeline (`bench.naive`) matches with its own code.

Rule tuples:
  SG rule    (proto, port_lo, port_hi, icmp_type, icmp_code, ((network, mask), ...),
              member_addresses | None, member_tags | None)   proto/type/code -1 = any
  NACL rule  (allow, network, mask, proto, port_lo, port_hi, icmp_type, icmp_code)
  route      (network, mask, prefix_len, kind, target)      IPv4 entries only
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartnic.compiler.nacl import CompiledNaclRule
from smartnic.compiler.program import Program
from smartnic.compiler.routes import KIND_IGW, KIND_LOCAL
from smartnic.compiler.sg import CompiledSgRule

SgRule = tuple[int, int, int, int, int, tuple[tuple[int, int], ...],
               frozenset[tuple[int, int]] | None, frozenset[int] | None]
NaclRule = tuple[bool, int, int, int, int, int, int, int]
RouteRow = tuple[int, int, int, str, str]


@dataclass
class NaiveEni:
    id: str
    tag: int
    mac: bytes
    ipv4: frozenset[int]
    has_public_ipv4: bool  # an internet gateway's 1:1 NAT needs one
    subnet_network: int
    subnet_mask: int
    vpc_id: str
    vni: int
    router_mac: bytes
    ingress: list[SgRule]
    egress: list[SgRule]
    nacl_ingress: list[NaclRule]
    nacl_egress: list[NaclRule]
    routes: list[RouteRow]


@dataclass
class NaiveTables:
    host_id: str
    underlay_ip: int
    enis: dict[str, NaiveEni]  # ENIs of this host
    by_mac: dict[bytes, NaiveEni]
    owners: dict[int, tuple[str, str, str]]  # IPv4 -> (ENI id, host id, subnet id)
    host_ips: dict[str, int]  # host id -> underlay IPv4
    host_of_ip: dict[int, str]
    tag_host: dict[int, str]  # ENI tag -> host id
    eni_macs: dict[str, bytes]
    vnis: dict[int, str] = field(default_factory=dict)  # VNI -> VPC id


def _sg_rule(rule: CompiledSgRule) -> SgRule:
    peer, l4 = rule.peer, rule.l4
    cidrs = tuple((c.network, c.mask) for c in peer.cidrs if c.version == 4)
    return (l4.proto, l4.port_lo, l4.port_hi, l4.icmp_type, l4.icmp_code, cidrs,
            peer.member_addresses if peer.member_tags is not None else None,
            peer.member_tags)


def _eni(program: Program, eni_id: str) -> NaiveEni:
    eni = program.enis[eni_id]
    subnet = program.subnets[eni.subnet_id]
    nacl = program.nacls[subnet.nacl_id]
    vpc = program.vpcs[eni.vpc_id]

    def nacl_rows(rules: tuple[CompiledNaclRule, ...]) -> list[NaclRule]:
        return [(r.allow, r.cidr.network, r.cidr.mask, r.l4.proto, r.l4.port_lo, r.l4.port_hi,
                 r.l4.icmp_type, r.l4.icmp_code) for r in rules if r.cidr.version == 4]

    table = program.route_tables[subnet.route_table_id]
    routes = [(r.cidr.network, r.cidr.mask, r.cidr.prefix_len, r.kind, r.target)
              for r in table.routes if r.cidr.version == 4]
    return NaiveEni(
        id=eni.id, tag=eni.tag, mac=eni.mac, ipv4=eni.ipv4,
        has_public_ipv4=eni.public_ipv4 is not None,
        subnet_network=subnet.cidr.network, subnet_mask=subnet.cidr.mask, vpc_id=vpc.id,
        vni=vpc.vni, router_mac=vpc.router_mac,
        ingress=[_sg_rule(r) for r in eni.policy.ingress],
        egress=[_sg_rule(r) for r in eni.policy.egress],
        nacl_ingress=nacl_rows(nacl.ingress), nacl_egress=nacl_rows(nacl.egress),
        routes=routes)


def naive_tables(program: Program, host_id: str) -> NaiveTables:
    """The policy of `host_id`'s ENIs and the addressing of the whole cloud, as tuples."""
    local = {e.id: _eni(program, e.id) for e in program.enis_on(host_id)}
    owners = {address: (eni.id, eni.host_id, eni.subnet_id)
              for eni in program.enis.values() for address in eni.ipv4}
    host_ips = {h.id: h.underlay_ip for h in program.hosts.values()}
    return NaiveTables(
        host_id=host_id, underlay_ip=host_ips[host_id], enis=local,
        by_mac={e.mac: e for e in local.values()}, owners=owners, host_ips=host_ips,
        host_of_ip={ip: h for h, ip in host_ips.items()},
        tag_host={e.tag: e.host_id for e in program.enis.values()},
        eni_macs={e.id: e.mac for e in program.enis.values()},
        vnis={v.vni: v.id for v in program.vpcs.values()})


def is_local_route(kind: str) -> bool:
    return kind == KIND_LOCAL


def is_internet_route(kind: str) -> bool:
    return kind == KIND_IGW
