"""Stage `route`: where the packet goes next (RT-R1..R10, ORD-R1).

A destination inside the sender's subnet is delivered at layer 2 without a route lookup
(RT-R9). Otherwise the subnet's route table is searched by longest prefix (RT-R3): `local`
delivers inside the VPC, an ENI target to that middlebox (RT-R8), a peering to the peer
VPC — only to addresses inside it, since peering is not transitive (RT-R10) — an internet
or VPN gateway out of the VPC. Reserved addresses and addresses no ENI holds have no
receiver (ADDR-R3).
Drops: `no_route`, `route_blackhole` (RT-R6), `no_transit`, `no_destination`.
"""

from __future__ import annotations

from smartnic.compiler import routes as rk
from smartnic.compiler.cidr import format_ip
from smartnic.compiler.views import VpcView
from smartnic.dataplane.context import EngineContext, Walk

STAGE = "route"
GATEWAY_MTU_BYTES = 1500  # MTU-R1: internet gateway and VPN
TRAFFIC_PATH = {rk.KIND_LOCAL: 1, rk.KIND_ENI: 1, rk.KIND_PEERING: 4, rk.KIND_VGW: 3,
                rk.KIND_IGW: 8}  # FL-R11 (8: internet gateway on Nitro)


def route(ctx: EngineContext, walk: Walk) -> bool:
    eni, pkt, program = walk.src_eni, walk.pkt, ctx.program
    assert eni is not None and walk.vpc is not None
    subnet = program.subnet_of(eni)
    dst_text = format_ip(pkt.ip_version, pkt.dst_ip)
    if subnet.contains(pkt.ip_version, pkt.dst_ip):
        walk.traffic_path = 1
        walk.passed(STAGE, f"{dst_text} is in {subnet.id}: layer-2 delivery, no route lookup "
                           f"(RT-R9)")
        return _to_owner(ctx, walk, walk.vpc)
    table = program.route_tables[subnet.route_table_id]
    entry = table.lookup(pkt.ip_version, pkt.dst_ip)
    if entry is None:
        return walk.dropped(STAGE, "no_route", "no_matching_route",
                            f"no route to {dst_text} in {table.id}")
    walk.route = entry
    walk.traffic_path = TRAFFIC_PATH.get(entry.kind)
    rule = f"{table.id}: {entry.describe()}"
    facts = (("route_table", table.id), ("route_target", entry.target))
    if entry.kind == rk.KIND_BLACKHOLE:
        return walk.dropped(STAGE, "route_blackhole", "target_unavailable",
                            f"target {entry.target} does not exist or is not active (RT-R6)", rule,
                            facts=facts)
    walk.passed(STAGE, f"longest prefix match for {dst_text}", rule, facts)
    return _follow(ctx, walk, entry)


def _follow(ctx: EngineContext, walk: Walk, entry: rk.RouteEntry) -> bool:
    program = ctx.program
    assert walk.vpc is not None
    if entry.kind == rk.KIND_LOCAL:
        return _to_owner(ctx, walk, walk.vpc)
    if entry.kind == rk.KIND_ENI:
        assert entry.target_eni is not None
        walk.dst_eni = program.enis[entry.target_eni]
        return True
    if entry.kind == rk.KIND_PEERING:
        assert entry.peer_vpc is not None
        peer = program.vpcs[entry.peer_vpc]
        if not peer.contains(walk.pkt.ip_version, walk.pkt.dst_ip):
            return walk.dropped(STAGE, "no_transit", "peering_not_transitive",
                                f"{entry.target} reaches only {peer.id}'s own addresses "
                                f"(RT-R10: no transitive routing)")
        return _to_owner(ctx, walk, peer)
    walk.gateway = entry.target
    walk.path_mtu_bytes = min(walk.path_mtu_bytes, GATEWAY_MTU_BYTES)
    return True


def _to_owner(ctx: EngineContext, walk: Walk, vpc: VpcView) -> bool:
    pkt = walk.pkt
    owner = ctx.program.owner_of(vpc.id, pkt.ip_version, pkt.dst_ip)
    if owner is None:
        text = format_ip(pkt.ip_version, pkt.dst_ip)
        return walk.dropped(STAGE, "no_destination", "no_interface_holds_address",
                            f"no interface in {vpc.id} holds {text} (unassigned, or reserved "
                            f"in a peered VPC, ADDR-R3)")
    walk.dst_eni = owner
    return True
