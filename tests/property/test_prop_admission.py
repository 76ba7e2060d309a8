"""CompiledPolicy kernels == the readable slow path (verdicts, destinations, connection tracking).

Two identical clouds see the same random policies and packet sequences: in one the slow
path decides every packet; in the other the kernels decide first and the slow path only
what they punt. Every admitted packet must have been admitted by the slow path to the
same ENI with the same conntrack references; CT_FULL must be the slow path's
`conntrack_full` on the sender; the live connection tables must stay identical. Forged
underlay arrivals (any ENI claimed, any inner source) are admitted only when decap
(intake.receive) accepts them and the receiving stages deliver them to the same ENI. Some
ENIs carry a tight new-flow allowance: it gates batches before either side decides
(batch_gate.py), so neither decision may depend on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prop_support import CROSS_HOST, SAME_HOST, policies, sends
from smartnic.clock import VirtualClock
from smartnic.compiler.sg import UNKNOWN_TAG
from smartnic.dataplane import actions as act
from smartnic.dataplane.admission import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    CT_FULL,
    O_CODE,
    O_DST,
    O_DST_CT,
    O_SRC_CT,
    CompiledPolicy,
    packet_columns,
)
from smartnic.dataplane.conntrack.arrays import ct_touch
from smartnic.dataplane.intake import receive
from smartnic.dataplane.slowpath import decide_from_underlay, decide_from_vm
from smartnic.dataplane.verdict import Drop
from smartnic.model import load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import ip_to_int, parse_frame
from smartnic.scenarios.sends import build_send
from tests.conftest import t1
from tests.unit.dataplane.dp_support import underlay_frame


def _clouds(patch: dict[str, Any], hosts: list[dict[str, Any]]) -> tuple[Cloud, Cloud]:
    config = load_config(t1(patch | {"hosts": hosts}))
    return (Cloud(config, VirtualClock(), responsive=False),
            Cloud(config, VirtualClock(), responsive=False))


def _live(cloud: Cloud) -> list[tuple[Any, ...]]:
    """Connections not yet expired (expired rows are freed lazily, at different moments)."""
    now = cloud.clock.now()
    return sorted((e.eni_id, e.key, e.state, e.packets_orig, e.packets_reply)
                  for engine in cloud.hosts.values()
                  for eni in engine.ctx.program.enis_on(engine.host_id)
                  for e in engine.ctx.conntrack.entries(eni.id) if e.expires_s > now)


def _python(cloud: Cloud, eni_id: str, pkt: Any) -> act.FlowAction:
    engine = cloud.hosts[cloud.program.enis[eni_id].host_id]
    action = decide_from_vm(engine.ctx, cloud.program.enis[eni_id], pkt)
    engine.runner._effects(action, pkt.tcp_flags, pkt.ip_total_length)
    return action


def _touch(engine: Any, out: np.ndarray, column: int, pkt: Any) -> None:
    if out[column] >= 0:
        table = engine.ctx.conntrack
        ct_touch(table.arrays, int(out[column]), bool(out[column + 2]), pkt.tcp_flags,
                 pkt.ip_total_length, engine.ctx.clock.now(), table.tcp_columns)


def _references(action: act.FlowAction) -> list[tuple[Any, bool]]:
    return [(e.entry.key, e.is_reply) for e in action.effects if isinstance(e, act.CtTouch)]


def _kernel_refs(engine: Any, out: np.ndarray) -> list[tuple[Any, bool]]:
    refs = []
    for column in (O_SRC_CT, O_DST_CT):
        if out[column] >= 0:
            from smartnic.dataplane.conntrack.rows import decode_key
            refs.append((decode_key(engine.ctx.conntrack.arrays.key[out[column]]),
                         bool(out[column + 2])))
    return refs


def _check_packet(oracle: Cloud, fast: Cloud, spec: dict[str, Any]) -> None:
    eni_id = spec["from"]
    frame = build_send(oracle.program, spec).frames[0]
    pkt = parse_frame(frame)
    expected = _python(oracle, eni_id, pkt)
    eni = fast.program.enis[eni_id]
    engine = fast.hosts[eni.host_id]
    admission = CompiledPolicy(fast.program, eni.host_id, engine.ctx.conntrack)
    meta, addr = packet_columns([pkt])
    src = np.array([admission.eni_index[eni_id]], np.int64)
    out = admission.decide_vm(src, meta, addr, engine.ctx.clock.now())[0]
    if out[O_CODE] == CT_FULL:
        assert expected.drop is not None and expected.drop.stage == "conntrack_full"
        engine.ctx.conntrack.arrays.eni_exceeded[:] = 0  # compare tables, not counters
        return
    if out[O_CODE] not in (ADMIT_LOCAL, ADMIT_REMOTE):
        _python(fast, eni_id, pkt)  # punted: the slow path decides
        return
    dst_id = admission.eni_ids[out[O_DST]]
    if out[O_CODE] == ADMIT_LOCAL:
        assert isinstance(expected.output, act.ToVm) and expected.output.eni_id == dst_id
    else:
        assert isinstance(expected.output, act.ToUnderlay)
        assert expected.output.host_id == fast.program.enis[dst_id].host_id
    assert expected.drop is None
    assert _kernel_refs(engine, out) == _references(expected)
    _touch(engine, out, O_SRC_CT, pkt)
    _touch(engine, out, O_DST_CT, pkt)
    if out[O_CODE] == ADMIT_REMOTE:
        _check_arrival(oracle, fast, eni_id, dst_id, pkt)


def _check_arrival(oracle: Cloud, fast: Cloud, src_id: str, dst_id: str, pkt: Any) -> None:
    program = fast.program
    sender, receiver = program.enis[src_id], program.enis[dst_id]
    vpc = program.vpcs[sender.vpc_id]
    o_engine = oracle.hosts[receiver.host_id]
    expected = decide_from_underlay(o_engine.ctx, pkt, vpc=vpc, receiver=receiver,
                                    sender=sender, sender_tag=sender.tag, from_gateway=None)
    o_engine.runner._effects(expected, pkt.tcp_flags, pkt.ip_total_length)
    engine = fast.hosts[receiver.host_id]
    admission = CompiledPolicy(program, receiver.host_id, engine.ctx.conntrack)
    meta, addr = packet_columns([pkt])
    one = np.ones(1, np.int64)
    vpcs = list(program.vpcs)
    out = admission.decide_underlay(
        one * admission.eni_index[dst_id], one * admission.eni_index[src_id],
        one * sender.tag, one * vpcs.index(vpc.id), one * 0, meta, addr,
        engine.ctx.clock.now())[0]
    if out[O_CODE] != ADMIT_LOCAL:
        action = decide_from_underlay(engine.ctx, pkt, vpc=vpc, receiver=receiver,
                                      sender=sender, sender_tag=sender.tag, from_gateway=None)
        engine.runner._effects(action, pkt.tcp_flags, pkt.ip_total_length)
        assert out[O_CODE] != CT_FULL or (action.drop and action.drop.stage == "conntrack_full")
        return
    assert isinstance(expected.output, act.ToVm) and expected.output.eni_id == dst_id
    assert _kernel_refs(engine, out) == _references(expected)
    _touch(engine, out, O_DST_CT, pkt)
    assert UNKNOWN_TAG != sender.tag


FORGED_SOURCES = ["10.0.1.10", "10.0.1.20", "10.0.2.30", "10.0.3.40", "198.51.100.9"]


@st.composite
def forgeries(draw: st.DrawFn) -> dict[str, Any]:
    """An underlay arrival claiming one ENI, with any inner source, for another ENI."""
    sender = draw(st.sampled_from(["eni-a", "eni-b", "eni-c", "eni-fw"]))
    spec = draw(sends()) | {"from": sender, "src": draw(st.sampled_from(FORGED_SOURCES))}
    return spec | {"dst": draw(st.sampled_from(["10.0.1.10", "10.0.1.20", "10.0.2.30"]))}


def _check_forged(oracle: Cloud, fast: Cloud, spec: dict[str, Any]) -> None:
    """Whatever the kernels admit from the underlay, decap (intake.receive) accepts and the
    receiving stages deliver to the same ENI; what decap refuses, they never admit."""
    program = fast.program
    sender = program.enis[spec["from"]]
    receiver = next(e for e in program.enis.values() if e.owns(4, ip_to_int(spec["dst"])[1]))
    if receiver.host_id == sender.host_id:
        return  # not an underlay arrival
    sent = build_send(program, spec).frames[0]
    pkt = parse_frame(sent)
    inner = receiver.mac + program.vpcs[receiver.vpc_id].router_mac + sent[12:]
    own_ip = program.hosts[receiver.host_id].underlay_ip
    frame = underlay_frame(fast, inner, src_ip=program.hosts[sender.host_id].underlay_ip,
                           dst_ip=own_ip, vni=program.vpcs[sender.vpc_id].vni,
                           sender_tag=sender.tag)
    accepted = not isinstance(receive(program, own_ip, frame), Drop)
    engine = fast.hosts[receiver.host_id]
    admission = CompiledPolicy(program, receiver.host_id, engine.ctx.conntrack)
    meta, addr = packet_columns([pkt])
    one, vpc = np.ones(1, np.int64), list(program.vpcs).index(sender.vpc_id)
    out = admission.decide_underlay(
        one * admission.eni_index[receiver.id], one * admission.eni_index[sender.id],
        one * sender.tag, one * vpc, one * 0, meta, addr, engine.ctx.clock.now())[0]
    if out[O_CODE] in (ADMIT_LOCAL, CT_FULL):
        assert accepted, spec
    if not accepted:
        return
    o_engine = oracle.hosts[receiver.host_id]
    expected = decide_from_underlay(o_engine.ctx, pkt, vpc=program.vpcs[sender.vpc_id],
                                    receiver=receiver, sender=sender, sender_tag=sender.tag,
                                    from_gateway=None)
    o_engine.runner._effects(expected, pkt.tcp_flags, pkt.ip_total_length)
    if out[O_CODE] == ADMIT_LOCAL:
        assert isinstance(expected.output, act.ToVm) and expected.output.eni_id == receiver.id
        _touch(engine, out, O_DST_CT, pkt)
    elif out[O_CODE] == CT_FULL:
        assert expected.drop is not None and expected.drop.stage == "conntrack_full"
        engine.ctx.conntrack.arrays.eni_exceeded[:] = 0
    else:
        action = decide_from_underlay(engine.ctx, pkt, vpc=program.vpcs[sender.vpc_id],
                                      receiver=receiver, sender=sender, sender_tag=sender.tag,
                                      from_gateway=None)
        engine.runner._effects(action, pkt.tcp_flags, pkt.ip_total_length)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.sampled_from([SAME_HOST, CROSS_HOST]),
       st.lists(st.tuples(st.sampled_from(["eni-a", "eni-b", "eni-c"]),
                          st.sampled_from([1, 2, 3])), max_size=2),
       st.lists(st.tuples(sends(), st.sampled_from([0.0, 0.0, 0.5, 40.0, 200.0]),
                          st.one_of(st.none(), forgeries())),
                min_size=1, max_size=12))
def test_admission_kernels_agree_with_the_slow_path(patch, hosts, limits, sequence) -> None:
    enis = {eni: {"id": eni, "limits": {"new_flows": n}} for eni, n in limits}
    oracle, fast = _clouds(patch | ({"enis": list(enis.values())} if enis else {}), hosts)
    for spec, wait_s, forged in sequence:
        for clock in (oracle.clock, fast.clock):
            clock.advance(wait_s)  # type: ignore[attr-defined]
        _check_packet(oracle, fast, spec)
        if forged is not None:
            _check_forged(oracle, fast, forged)
        assert _live(oracle) == _live(fast)
