"""Stage `transit`: crossing a VPC edge — peering or gateway (RT-R10, MTU-R1).

An internet gateway performs 1:1 NAT between an ENI's private IPv4 and its public IPv4;
a packet whose source has no public address cannot use it. Peering connections and
gateways must be active (the route stage already refused inactive ones as blackholes).
Drop: `no_transit` (reason `no_public_ipv4`).
"""

from __future__ import annotations

from smartnic.compiler import routes as rk
from smartnic.compiler.cidr import format_ip
from smartnic.dataplane.context import EngineContext, Walk

STAGE = "transit"


def transit(ctx: EngineContext, walk: Walk) -> bool:
    route, pkt = walk.route, walk.pkt
    if route is None or route.kind in (rk.KIND_LOCAL, rk.KIND_ENI):
        return True
    if route.kind == rk.KIND_PEERING:
        return walk.passed(STAGE, f"peering {route.target} (active) to {route.peer_vpc}")
    if route.kind == rk.KIND_IGW and pkt.ip_version == 4:
        assert walk.vpc is not None
        owner = ctx.program.owner_of(walk.vpc.id, 4, pkt.src_ip)
        if owner is None or owner.public_ipv4 is None:
            return walk.dropped(STAGE, "no_transit", "no_public_ipv4",
                                f"{format_ip(4, pkt.src_ip)} has no public IPv4 address for "
                                f"{route.target}'s 1:1 NAT")
        return walk.passed(STAGE, f"{route.target}: 1:1 NAT {format_ip(4, pkt.src_ip)} -> "
                                  f"{format_ip(4, owner.public_ipv4)}; path MTU "
                                  f"{walk.path_mtu_bytes} (MTU-R1)")
    return walk.passed(STAGE, f"leaves the VPC through {route.target}; path MTU "
                              f"{walk.path_mtu_bytes} (MTU-R1)")
