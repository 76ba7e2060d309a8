"""Stages `src_sg_egress` and `dst_sg_ingress`: stateful security groups (SG-R1..R26).

Connection tracking is consulted first: a packet of a live tracked connection passes in
either direction regardless of rules (SG-R18, ORD-R3). Otherwise the union of the ENI's
rules decides (SG-R8); ingress matches the source, egress the destination (SG-R2), ports
the destination port (SG-R5). A permitted packet starts a tracked connection unless the
flow is untracked (SG-R20); ICMP is always tracked (SG-R21). A full table refuses new
tracked connections (SG-R25, drop `conntrack_full`).
Drops: `src_sg_egress` / `dst_sg_ingress` (reason `no_matching_rule`), `conntrack_full`.
"""

from __future__ import annotations

from smartnic.compiler.sg import CompiledSgRule
from smartnic.compiler.views import EniView
from smartnic.dataplane.actions import CtTouch
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.key import FlowTuple, flow_tuple
from smartnic.dataplane.context import EngineContext, Walk

EGRESS_STAGE = "src_sg_egress"
INGRESS_STAGE = "dst_sg_ingress"


def sg_egress(ctx: EngineContext, walk: Walk) -> bool:
    assert walk.src_eni is not None
    walk.sg_egress_passed = _evaluate(ctx, walk, walk.src_eni, "egress", EGRESS_STAGE)
    return walk.sg_egress_passed


def sg_ingress(ctx: EngineContext, walk: Walk) -> bool:
    assert walk.dst_eni is not None
    return _evaluate(ctx, walk, walk.dst_eni, "ingress", INGRESS_STAGE)


def _evaluate(ctx: EngineContext, walk: Walk, eni: EniView, direction: str, stage: str) -> bool:
    pkt = walk.pkt
    tup = flow_tuple(pkt.ip_version, pkt.proto, pkt.src_ip, pkt.dst_ip, pkt.sport, pkt.dport,
                     pkt.icmp_type, pkt.icmp_id)
    if tup is not None and _tracked_hit(ctx, walk, eni, tup, stage):
        return True
    matched = matching_rules(eni, direction, walk)
    if not matched:
        return walk.dropped(stage, stage, "no_matching_rule",
                            f"no rule of {', '.join(eni.sg_ids) or 'no group'} on {eni.id} "
                            f"allows it (SG-R1)", eni=eni)
    rule_text = matched[0].describe() + (f" (+{len(matched) - 1} more)" if len(matched) > 1 else "")
    untracked = tup is None or tup.forward is None or _untracked(eni, direction, walk, matched)
    if untracked:
        why = "not tracked (SG-R20)" if tup is not None and tup.forward else "not trackable"
        return walk.passed(stage, f"allowed by rule, {why}", rule_text)
    assert tup is not None
    entry = ctx.conntrack.create(eni.id, tup, direction, walk.now_s)
    if entry is None:
        return walk.dropped(stage, "conntrack_full", "conntrack_table_full",
                            f"{eni.id} tracks its maximum of {eni.conntrack_max} connections "
                            f"(SG-R25)", rule_text, eni=eni)
    walk.effects.append(CtTouch(entry, False))
    return walk.passed(stage, "allowed by rule, new tracked connection", rule_text)


def _tracked_hit(
    ctx: EngineContext, walk: Walk, eni: EniView, tup: FlowTuple, stage: str
) -> bool:
    hit = ctx.conntrack.lookup(eni.id, tup, walk.now_s)
    if hit is None:
        return False
    entry, is_reply = hit
    if entry.proto_class == st.CLASS_TCP and st.tcp_reopens(
        entry.state, walk.pkt.tcp_flags, is_reply
    ):
        return False  # a new SYN on a finished connection is judged as new
    walk.effects.append(CtTouch(entry, is_reply))
    role = "reply" if is_reply else "original direction"
    walk.passed(stage, f"tracked connection ({_state_name(entry)}, {role}): rules not "
                       f"consulted (SG-R18)", "conntrack")
    return True


def matching_rules(eni: EniView, direction: str, walk: Walk) -> list[CompiledSgRule]:
    pkt = walk.pkt
    peer_ip = pkt.src_ip if direction == "ingress" else pkt.dst_ip
    tag = walk.sender_tag if direction == "ingress" else None
    if direction == "ingress" and walk.sender_tag is None and walk.src_eni is not None:
        tag = walk.src_eni.tag  # delivered on the same host: the sender is known directly
    return [
        rule for rule in eni.policy.rules(direction)
        if rule.l4.matches(pkt.proto, pkt.dport, pkt.icmp_type, pkt.icmp_code)
        and rule.peer.matches(pkt.ip_version, peer_ip, tag)
    ]


def _untracked(eni: EniView, direction: str, walk: Walk, matched: list[CompiledSgRule]) -> bool:
    """SG-R20 per flow: this packet's permit, or the permit its reverse would get, is untracked."""
    pkt, policy = walk.pkt, eni.policy
    if policy.untracked(direction, pkt.ip_version, pkt.proto, matched):
        return True
    opposite = "ingress" if direction == "egress" else "egress"
    if not policy.allows_all_responses(opposite, pkt.ip_version, pkt.proto):
        return False  # the reverse could never be untracked: skip scanning for it
    reverse_peer = pkt.dst_ip if opposite == "ingress" else pkt.src_ip
    reverse = [
        r for r in policy.rules(opposite)
        if r.l4.matches(pkt.proto, pkt.sport, 0, 0) and r.peer.matches(pkt.ip_version,
                                                                       reverse_peer, None)
    ]
    return bool(reverse) and policy.untracked(opposite, pkt.ip_version, pkt.proto, reverse)


def _state_name(entry) -> str:  # type: ignore[no-untyped-def]
    if entry.proto_class == st.CLASS_TCP:
        return "tcp " + st.TCP_STATE_NAMES[entry.state]
    if entry.proto_class == st.CLASS_UDP:
        return "udp " + st.UDP_STATE_NAMES[entry.state]
    return "icmp" if entry.proto_class == st.CLASS_ICMP else "ip pair"
