"""Stage `src_dst_check`: the ENI must be the source or destination of its traffic (ENI-R6).

On the sending side a packet whose source is none of the ENI's addresses is dropped; on the
receiving side a packet whose destination is none of them. Disabled per ENI for NAT,
routing and firewall appliances (middlebox routes, RT-R8). With the check disabled an ENI
may send from addresses no interface of its VPC (or a peered VPC) holds, but from another
interface's address only when a route of its VPC targets it — a legitimate next hop
(`Program.may_send_from`): no VM poses as its neighbour, so no reply is stolen. Receivers
make the same check again on the overlay (intake.py), since the sending host may lie.
Drop: `src_dst_check` (reasons `source_not_owned`, `source_of_another_interface`,
`destination_not_owned`).
"""

from __future__ import annotations

from smartnic.compiler.cidr import format_ip
from smartnic.dataplane.context import EngineContext, Walk

STAGE = "src_dst_check"


def check_source(ctx: EngineContext, walk: Walk) -> bool:
    eni, pkt = walk.src_eni, walk.pkt
    assert eni is not None
    address = format_ip(pkt.ip_version, pkt.src_ip)
    if eni.owns(pkt.ip_version, pkt.src_ip):
        return walk.passed(STAGE, f"source {address} belongs to {eni.id}")
    if eni.src_dst_check:
        return walk.dropped(STAGE, STAGE, "source_not_owned",
                            f"source {address} is not an address of {eni.id} (ENI-R6)", eni=eni)
    if ctx.program.may_send_from(eni, pkt.ip_version, pkt.src_ip):
        return walk.passed(STAGE, f"source {address} is not {eni.id}'s, check disabled")
    return walk.dropped(STAGE, STAGE, "source_of_another_interface",
                        f"source {address} belongs to another interface and no route of "
                        f"{eni.vpc_id} targets {eni.id} (ENI-R6, RT-R8)", eni=eni)


def check_destination(ctx: EngineContext, walk: Walk) -> bool:
    eni, pkt = walk.dst_eni, walk.pkt
    assert eni is not None
    address = format_ip(pkt.ip_version, pkt.dst_ip)
    if eni.owns(pkt.ip_version, pkt.dst_ip):
        return walk.passed(STAGE, f"destination {address} belongs to {eni.id}")
    if not eni.src_dst_check:
        return walk.passed(STAGE, f"destination {address} is not {eni.id}'s, check disabled")
    return walk.dropped(STAGE, STAGE, "destination_not_owned",
                        f"destination {address} is not an address of {eni.id} (ENI-R6)", eni=eni)
