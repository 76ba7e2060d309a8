"""Stage `mapping`: from a decided destination to an underlay hop (the mapping service).

The destination ENI's host and the sending VPC's VNI give the encapsulation; a gateway
destination goes to the edge. Inner frames are rewritten as a router would: source MAC
the VPC router's (or the sender's on the same subnet), destination MAC the receiving
interface's (ENI-R5). A destination on this host is delivered without encapsulation.
Output: ToUnderlay, or (same host) the walk continues with the receiving stages.
"""

from __future__ import annotations

from smartnic.compiler.cidr import format_ip
from smartnic.compiler.mapping import EDGE_HOST_ID
from smartnic.compiler.views import EniView
from smartnic.dataplane.actions import ToUnderlay
from smartnic.dataplane.context import EngineContext, Walk
from smartnic.dataplane.keys import flow_entropy
from smartnic.dataplane.verdict import FORWARD
from smartnic.packet.overlay import flow_entropy_port

STAGE = "mapping"


def inner_source_mac(ctx: EngineContext, walk: Walk, receiver: EniView | None) -> bytes:
    """The sender's MAC within a subnet, the receiver's VPC router's otherwise (ENI-R5)."""
    sender = walk.src_eni
    if sender is not None and receiver is not None and sender.subnet_id == receiver.subnet_id:
        return sender.mac
    vpc_id = receiver.vpc_id if receiver is not None else walk.vpc.id if walk.vpc else ""
    return ctx.program.vpcs[vpc_id].router_mac


def forward(ctx: EngineContext, walk: Walk) -> bool:
    """True when the destination is on this host and the receiving stages run here."""
    program, eni, vpc = ctx.program, walk.src_eni, walk.vpc
    assert eni is not None and vpc is not None
    if walk.gateway is not None:
        mac = program.gateway_macs[walk.gateway]
        return _encap(ctx, walk, EDGE_HOST_ID, program.edge_underlay_ip, mac, None)
    dst = walk.dst_eni
    assert dst is not None
    walk.path_mtu_bytes = min(walk.path_mtu_bytes, eni.mtu, dst.mtu)
    if dst.host_id == ctx.name:
        walk.passed(STAGE, f"{dst.id} is on this host ({ctx.name}): no encapsulation")
        return True
    host = program.hosts[dst.host_id]
    return _encap(ctx, walk, host.id, host.underlay_ip, dst.mac, dst, host.kind == "kernel")


def _encap(ctx: EngineContext, walk: Walk, host_id: str, underlay_ip: int, dst_mac: bytes,
           receiver: EniView | None, plain: bool = False) -> bool:
    assert walk.src_eni is not None and walk.vpc is not None
    # A plain VXLAN peer drops frames with identity bits set (Linux checks reserved flags).
    tag = None if plain else walk.src_eni.tag
    walk.output = ToUnderlay(host_id, underlay_ip, walk.vpc.vni, tag,
                             inner_source_mac(ctx, walk, receiver), dst_mac,
                             flow_entropy_port(flow_entropy(walk.pkt)))
    walk.note(STAGE, FORWARD,
              f"{ctx.program.overlay.upper()} VNI {walk.vpc.vni} ({walk.vpc.id}) to {host_id} "
              f"{format_ip(4, underlay_ip)}, "
              + ("plain RFC 7348 (kernel VXLAN peer)" if plain else f"sender identity {tag}"))
    return False
