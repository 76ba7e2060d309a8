"""Stage `src_dst_check`: the ENI must be the source or destination of its traffic (ENI-R6).

On the sending side a packet whose source is none of the ENI's addresses is dropped; on the
receiving side a packet whose destination is none of them. Disabled per ENI for NAT,
routing and firewall appliances (middlebox routes, RT-R8).
Drop: `src_dst_check` (reasons `source_not_owned`, `destination_not_owned`).
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
    if not eni.src_dst_check:
        return walk.passed(STAGE, f"source {address} is not {eni.id}'s, check disabled")
    return walk.dropped(STAGE, STAGE, "source_not_owned",
                        f"source {address} is not an address of {eni.id} (ENI-R6)", eni=eni)


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
