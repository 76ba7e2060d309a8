"""Receiving-side stages: `vpc_check` and `deliver`.

`vpc_check`: the VNI names the VPC a packet travels in; nothing crosses into another VPC
without an active peering between the two (RT-R10). Drop: `no_transit` (`no_peering`).
`deliver`: counts the receiver's packet allowance (ALW-R1), logs the accepted ingress
record (FL-R2) and hands the frame to the VM port with router-rewritten MACs (ENI-R5).
"""

from __future__ import annotations

from smartnic.dataplane.actions import RateGate, ToVm
from smartnic.dataplane.context import EngineContext, Walk
from smartnic.dataplane.stages.forward import inner_source_mac
from smartnic.dataplane.verdict import DELIVER


def vpc_check(ctx: EngineContext, walk: Walk) -> bool:
    dst, vpc = walk.dst_eni, walk.vpc
    assert dst is not None and vpc is not None
    if dst.vpc_id == vpc.id:
        return walk.passed("vpc_check", f"same VPC {vpc.id}")
    peering = ctx.program.peering_between(vpc.id, dst.vpc_id)
    if peering is None or walk.from_gateway is not None:
        return walk.dropped("vpc_check", "no_transit", "no_peering",
                            f"{vpc.id} and {dst.vpc_id} are not peered", eni=dst)
    return walk.passed("vpc_check", f"{vpc.id} -> {dst.vpc_id} over {peering}")


def deliver(ctx: EngineContext, walk: Walk) -> bool:
    dst = walk.dst_eni
    assert dst is not None
    if dst.pps_limit:
        walk.effects.append(RateGate(dst.id, "pps", dst.pps_limit))
    walk.log(dst.id, "ingress", "ACCEPT")
    walk.output = ToVm(dst.id, inner_source_mac(ctx, walk, dst), dst.mac)
    walk.note("deliver", DELIVER, f"to {dst.id}")
    return False
