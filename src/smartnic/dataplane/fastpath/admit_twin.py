"""The install kernel's Python twin: the FlowAction the slow path builds for an admitted flow.

Inputs: one decided candidate — its admission outcome row (admission/decide.py), the
packet's key words and info columns, the sending / receiving admission ENI numbers.
Output: the `FlowAction` of the slow path's walk (effects in its order: the sender's
CtTouch, the egress LogPacket (ACCEPT, traffic path), the receiver's CtTouch, the
ingress LogPacket; output ToVm with the router-rewritten MACs, or ToUnderlay with the
tunnel and the entropy port), with one hop naming admission instead of the stage hops.
Installing it with `FastPath.install` compiles the row the kernel writes itself; the
tests hold the two equal, and engines running either equal to the slow path alone.

Example:
    action = twin_action(view, VM_SIDE, out[k], keys[i], info[:, i], src, -1, -1, 7, ct)
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.cidr import format_ip
from smartnic.compiler.views import EniView
from smartnic.dataplane.actions import CtTouch, Effect, FlowAction, LogPacket, ToUnderlay, ToVm
from smartnic.dataplane.admission.decide import (
    ADMIT_REMOTE,
    MAX_MTU_BYTES,
    O_CODE,
    O_DST,
    O_DST_CT,
    O_MTU,
    O_PATH,
    O_SRC_CT,
)
from smartnic.dataplane.conntrack.table import ConntrackTable, CtEntry
from smartnic.dataplane.fastpath.admit_view import AdmitView
from smartnic.dataplane.fastpath.columns import I_L4_WORD, I_PROTO, I_VERSION
from smartnic.dataplane.fastpath.flowkey import VM_SIDE
from smartnic.dataplane.keys import entropy_hash, l3l4_word
from smartnic.dataplane.verdict import PASS, Hop
from smartnic.packet.overlay import flow_entropy_port


def twin_action(view: AdmitView, side: int, out: np.ndarray, key: np.ndarray,
                info: np.ndarray, src: int, receiver: int, sender: int, generation: int,
                conntrack: ConntrackTable) -> FlowAction:
    """`info`: the packet's column of the info table; `src` (VM side) or `receiver` and
    `sender` (underlay side, -1: not an ENI) are admission ENI numbers."""
    program, ids = view.program, view.policy.eni_ids
    fields = _fields(key, info)
    effects: list[Effect] = []
    _touch(effects, out, O_SRC_CT, conntrack)
    by: EniView | None  # None: an underlay sender that is not an ENI
    if side == VM_SIDE:
        by, dst = program.enis[ids[src]], program.enis[ids[out[O_DST]]]
        effects.append(_log(by.id, "egress", int(out[O_PATH]), fields))
        mtu = int(out[O_MTU])
    else:
        by = program.enis[ids[sender]] if sender >= 0 else None
        dst, mtu = program.enis[ids[receiver]], MAX_MTU_BYTES
    mac = _inner_source_mac(view, by, dst)
    if out[O_CODE] == ADMIT_REMOTE:
        assert by is not None
        host = program.hosts[dst.host_id]
        output: ToVm | ToUnderlay = ToUnderlay(
            host.id, host.underlay_ip, program.vpcs[by.vpc_id].vni,
            None if host.kind == "kernel" else by.tag, mac, dst.mac, _entropy_port(fields))
    else:
        _touch(effects, out, O_DST_CT, conntrack)
        effects.append(_log(dst.id, "ingress", None, fields))
        output = ToVm(dst.id, mac, dst.mac)
    hop = Hop(view.host_id, "admission", PASS, "new flow decided by the compiled policy kernels")
    return FlowAction(generation, tuple(effects), output, None, mtu, True, (hop,),
                      sender_on_host=by.id if side == VM_SIDE and by is not None else None)


def _fields(key: np.ndarray, info: np.ndarray) -> tuple[int, ...]:
    """version, source, destination, proto, sport, dport, icmp type, code, id."""
    version, proto, word = int(info[I_VERSION]), int(info[I_PROTO]), int(info[I_L4_WORD])
    src, dst = int(key[0]) << 64 | int(key[1]), int(key[2]) << 64 | int(key[3])
    if proto in (6, 17):
        return version, src, dst, proto, word >> 16, word & 0xFFFF, 0, 0, 0
    return version, src, dst, proto, 0, 0, word >> 24, (word >> 16) & 0xFF, word & 0xFFFF


def _touch(effects: list[Effect], out: np.ndarray, column: int,
           conntrack: ConntrackTable) -> None:
    if out[column] >= 0:
        entry = CtEntry(conntrack, int(out[column]), int(out[column + 1]))
        effects.append(CtTouch(entry, bool(out[column + 2])))


def _log(eni_id: str, direction: str, path: int | None, fields: tuple[int, ...]) -> LogPacket:
    version, src, dst, proto, sport, dport = fields[:6]
    return LogPacket(eni_id, direction, "ACCEPT", path, version,  # type: ignore[arg-type]
                     format_ip(version, src), format_ip(version, dst), sport, dport, proto)


def _inner_source_mac(view: AdmitView, sender: EniView | None, receiver: EniView) -> bytes:
    """stages/forward.py: inner_source_mac, for an ENI receiver."""
    if sender is not None and sender.subnet_id == receiver.subnet_id:
        return sender.mac
    return view.program.vpcs[receiver.vpc_id].router_mac


def _entropy_port(fields: tuple[int, ...]) -> int:
    version, src, dst, proto, sport, dport, itype, icode, iid = fields
    word = l3l4_word(version, proto, sport, dport, itype, icode, iid)
    low = (1 << 64) - 1
    return flow_entropy_port(entropy_hash(np.uint64(src >> 64), np.uint64(src & low),
                                          np.uint64(dst >> 64), np.uint64(dst & low),
                                          np.uint64(word)))
