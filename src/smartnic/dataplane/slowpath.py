"""The slow path: a packet's full walk through the policy stages, as data.

Sending side (from a VM port):  allowance → reserved_service → src_dst_check →
src_sg_egress → route → src_nacl_egress → transit → mapping
Receiving side (from the underlay, or the same host): vpc_check → dst_nacl_ingress →
src_dst_check → dst_sg_ingress → deliver

The order is spec §3.1 (ORD-R1). Each stage appends a hop (the explanation) and effects
(what later packets of the flow replay); the first failing stage ends the walk. `trace`,
the scenario runner, the in-process cloud and the real engines all decide here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from smartnic.compiler.views import EniView, VpcView
from smartnic.dataplane.actions import FlowAction, RateGate
from smartnic.dataplane.context import EngineContext, Walk
from smartnic.dataplane.stages.anti_spoof import check_destination, check_source
from smartnic.dataplane.stages.forward import forward
from smartnic.dataplane.stages.nacl import nacl_egress, nacl_ingress
from smartnic.dataplane.stages.receive import deliver, vpc_check
from smartnic.dataplane.stages.reserved import serve_reserved
from smartnic.dataplane.stages.route import route
from smartnic.dataplane.stages.security_group import sg_egress, sg_ingress
from smartnic.dataplane.stages.transit import transit
from smartnic.packet.parse import Packet

Stage = Callable[[EngineContext, Walk], bool]


def tx_allowance(ctx: EngineContext, walk: Walk) -> bool:
    """Stage `allowance`: the sender's packets-per-second allowance (ALW-R1)."""
    eni = walk.src_eni
    if eni is not None and eni.pps_limit:
        walk.effects.append(RateGate(eni.id, "pps", eni.pps_limit))
        walk.passed("allowance", f"{eni.id} may send {eni.pps_limit} packets/s")
    return True


SENDING_STAGES: tuple[Stage, ...] = (
    tx_allowance, serve_reserved, check_source, sg_egress, route, nacl_egress, transit,
)
RECEIVING_STAGES: tuple[Stage, ...] = (
    vpc_check, nacl_ingress, check_destination, sg_ingress, deliver,
)


def decide_from_vm(ctx: EngineContext, eni: EniView, pkt: Packet) -> FlowAction:
    program = ctx.program
    walk = Walk(pkt, ctx.name, ctx.clock.now(), program.generation, src_eni=eni,
                vpc=program.vpcs[eni.vpc_id])
    if run_stages(ctx, walk, SENDING_STAGES) and forward(ctx, walk):
        run_stages(ctx, walk, RECEIVING_STAGES)
    return walk.action()


def decide_from_underlay(
    ctx: EngineContext, pkt: Packet, *, vpc: VpcView, receiver: EniView,
    sender: EniView | None, sender_tag: int, from_gateway: str | None,
) -> FlowAction:
    walk = Walk(pkt, ctx.name, ctx.clock.now(), ctx.program.generation, src_eni=sender,
                sender_tag=sender_tag, vpc=vpc, dst_eni=receiver, from_gateway=from_gateway)
    run_stages(ctx, walk, RECEIVING_STAGES)
    return walk.action()


def run_stages(ctx: EngineContext, walk: Walk, stages: Sequence[Stage]) -> bool:
    """Run stages in order; False as soon as one ends the walk (drop or final output)."""
    return all(stage(ctx, walk) for stage in stages)
