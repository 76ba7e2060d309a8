"""Stages `src_nacl_egress` and `dst_nacl_ingress`: stateless subnet ACLs (NACL-R1..R9).

Evaluated only when a packet leaves or enters a subnet (NACL-R8): outbound rules of the
source subnet's ACL, inbound rules of the destination subnet's ACL; first matching rule
by number decides, the `*` rule denies the rest (NACL-R3, NACL-R4). Tracked responses do
not bypass NACLs (ORD-R3).
Drops: `src_nacl_egress`, `dst_nacl_ingress` (reason `deny_rule` or `default_deny`).
"""

from __future__ import annotations

from smartnic.compiler.nacl import IMPLICIT_DENY_NUMBER
from smartnic.compiler.views import SubnetView
from smartnic.dataplane.context import EngineContext, Walk

EGRESS_STAGE = "src_nacl_egress"
INGRESS_STAGE = "dst_nacl_ingress"


def nacl_egress(ctx: EngineContext, walk: Walk) -> bool:
    assert walk.src_eni is not None
    subnet = ctx.program.subnet_of(walk.src_eni)
    dst = walk.dst_eni
    if dst is not None and dst.subnet_id == subnet.id:
        walk.skipped(EGRESS_STAGE, f"stays inside {subnet.id} (NACL-R8)")
    elif not _evaluate(ctx, walk, subnet, "egress", EGRESS_STAGE):
        return False
    walk.log_egress("ACCEPT")
    return True


def nacl_ingress(ctx: EngineContext, walk: Walk) -> bool:
    assert walk.dst_eni is not None
    subnet = ctx.program.subnet_of(walk.dst_eni)
    if _sender_inside(walk, subnet):
        return walk.skipped(INGRESS_STAGE, f"sent from inside {subnet.id} (NACL-R8)")
    return _evaluate(ctx, walk, subnet, "ingress", INGRESS_STAGE)


def _sender_inside(walk: Walk, subnet: SubnetView) -> bool:
    if walk.from_gateway is not None:
        return False
    if walk.src_eni is not None:
        return walk.src_eni.subnet_id == subnet.id
    return subnet.contains(walk.pkt.ip_version, walk.pkt.src_ip)


def _evaluate(ctx: EngineContext, walk: Walk, subnet: SubnetView, direction: str,
              stage: str) -> bool:
    pkt = walk.pkt
    nacl = ctx.program.nacls[subnet.nacl_id]
    peer = pkt.src_ip if direction == "ingress" else pkt.dst_ip
    verdict = nacl.evaluate(direction, pkt.ip_version, peer, pkt.proto, pkt.dport,
                            pkt.icmp_type, pkt.icmp_code)
    if verdict.allow:
        return walk.passed(stage, f"{subnet.id} {direction} allowed", verdict.text)
    reason = "default_deny" if verdict.rule_number in IMPLICIT_DENY_NUMBER.values() else (
        "deny_rule")
    concerned = walk.dst_eni if direction == "ingress" else walk.src_eni
    return walk.dropped(stage, stage, reason, f"{subnet.id} {direction} denied (NACL-R3)",
                        verdict.text, eni=concerned)
