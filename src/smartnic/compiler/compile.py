"""Config -> Program. Full recompute on every change; the Config is already validated."""

from __future__ import annotations

from smartnic.compiler.cidr import parse_cidr, parse_ip
from smartnic.compiler.flowlog_specs import compile_flow_log_specs, eni_log_contexts
from smartnic.compiler.mapping import (
    EDGE_UNDERLAY_IP,
    assign_tags,
    assign_vnis,
    synthetic_mac,
)
from smartnic.compiler.nacl import compile_nacls
from smartnic.compiler.program import Program
from smartnic.compiler.routes import compile_route_tables
from smartnic.compiler.sg import SgPolicy, compile_sg_policies
from smartnic.compiler.views import EniView, HostView, SubnetView, VpcView
from smartnic.dataplane.conntrack.table import DEFAULT_CAPACITY
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts
from smartnic.model.config import Config, Eni, Subnet
from smartnic.packet.addr import mac_to_bytes


def compile_program(config: Config, generation: int = 1) -> Program:
    vpcs = _vpcs(config)
    subnets = {s.id: _subnet(s) for s in config.subnets}
    tags = assign_tags(config)
    policies = compile_sg_policies(config, tags)
    host_of = {eni: h.id for h in config.hosts for eni in h.enis}
    enis = {
        e.id: _eni(e, subnets[e.subnet], tags[e.id], host_of[e.id], policies[e.id])
        for e in config.enis
    }
    route_tables = compile_route_tables(config)
    gateway_macs = {g.id: synthetic_mac(g.id) for g in [*config.igws, *config.vgws]}
    hosts = _hosts(config)
    return Program(
        generation=generation,
        config=config,
        overlay=config.overlay,
        vpcs=vpcs,
        vpc_by_vni={v.vni: v for v in vpcs.values()},
        subnets=subnets,
        enis=enis,
        eni_by_tag={e.tag: e for e in enis.values()},
        eni_by_mac={e.mac: e for e in enis.values()},
        address_owner=_address_owner(enis),
        public_owner={e.public_ipv4: e.id for e in enis.values() if e.public_ipv4},
        nacls=compile_nacls(config),
        route_tables=route_tables,
        edge_route_tables={gw: route_tables[t.id] for t in config.route_tables
                           for gw in t.edge_associations},
        peerings={frozenset((p.a, p.b)): p.id for p in config.peerings if p.state == "active"},
        hosts=hosts,
        host_by_underlay={h.underlay_ip: h.id for h in hosts.values()},
        edge_underlay_ip=parse_ip(EDGE_UNDERLAY_IP)[1],
        gateway_macs=gateway_macs,
        gateway_by_mac={mac: gw for gw, mac in gateway_macs.items()},
        flow_log_specs=compile_flow_log_specs(config, enis, subnets),
        eni_log_contexts=eni_log_contexts(config, enis, subnets),
        route_target_enis=frozenset(r.target_eni for t in route_tables.values()
                                    for r in t.routes if r.target_eni is not None),
    )


def _hosts(config: Config) -> dict[str, HostView]:
    return {
        h.id: HostView(h.id, parse_ip(h.underlay_ip or "0.0.0.0")[1], tuple(h.enis), h.kind)
        for h in config.hosts
    }


def _vpcs(config: Config) -> dict[str, VpcView]:
    vnis = assign_vnis(config)
    igws = {g.vpc: g.id for g in config.igws}
    views = {}
    for vpc in config.vpcs:
        cidrs = tuple(parse_cidr(c) for c in vpc.cidrs)
        views[vpc.id] = VpcView(
            id=vpc.id,
            vni=vnis[vpc.id],
            cidrs=cidrs,
            ipv6_cidrs=tuple(parse_cidr(c) for c in vpc.ipv6_cidrs),
            dns_ipv4=cidrs[0].network + 2,
            dns_enabled=vpc.enable_dns_support,
            igw_id=igws.get(vpc.id),
            router_mac=synthetic_mac(f"router/{vpc.id}"),
        )
    return views


def _subnet(subnet: Subnet) -> SubnetView:
    cidr = parse_cidr(subnet.cidr)
    v6 = parse_cidr(subnet.ipv6_cidr) if subnet.ipv6_cidr else None
    reserved = {(4, cidr.network + i) for i in range(4)} | {(4, cidr.last)}
    if v6 is not None:
        reserved |= {(6, v6.network + i) for i in range(4)} | {(6, v6.last)}
    return SubnetView(subnet.id, subnet.vpc, cidr, v6, subnet.nacl or "", subnet.route_table or "",
                      frozenset(reserved))


def _eni(eni: Eni, subnet: SubnetView, tag: int, host_id: str, policy: SgPolicy) -> EniView:
    ipv4 = [parse_ip(a)[1] for a in eni.ips]
    ct = eni.conntrack
    defaults = ConntrackTimeouts()
    timeouts = ConntrackTimeouts(
        tcp_established_s=float(ct.tcp_established_timeout or defaults.tcp_established_s),
        udp_stream_s=float(ct.udp_stream_timeout or defaults.udp_stream_s),
        udp_s=float(ct.udp_timeout or defaults.udp_s),
    )
    return EniView(
        id=eni.id,
        tag=tag,
        mac=mac_to_bytes(eni.mac or "02:00:00:00:00:00"),
        subnet_id=eni.subnet,
        vpc_id=subnet.vpc_id,
        host_id=host_id,
        primary_ipv4=ipv4[0],
        ipv4=frozenset(ipv4),
        ipv6=frozenset(parse_ip(a)[1] for a in eni.ipv6),
        public_ipv4=parse_ip(eni.public_ip)[1] if eni.public_ip else None,
        src_dst_check=eni.src_dst_check,
        mtu=eni.mtu,
        sg_ids=tuple(eni.sgs or ()),
        policy=policy,
        timeouts=timeouts,
        conntrack_max=(
            DEFAULT_CAPACITY if eni.limits.conntrack_max is None else eni.limits.conntrack_max
        ),
        pps_limit=eni.limits.pps,
        instance_type=eni.instance_type,
        instance_id=eni.instance_id,
        new_flow_limit=eni.limits.new_flows,
    )


def _address_owner(enis: dict[str, EniView]) -> dict[tuple[str, int, int], str]:
    owner = {}
    for eni in enis.values():
        for address in eni.ipv4:
            owner[(eni.vpc_id, 4, address)] = eni.id
        for address in eni.ipv6:
            owner[(eni.vpc_id, 6, address)] = eni.id
    return owner
