"""Admission kernels: the verdict on a new flow, without Python, for the common case.

For each packet of a batch that missed the flow cache, the sending side (a VM port) or the
receiving side (the underlay) is decided over PolicyTables in the order of slowpath.py.
Outcomes: ADMIT_LOCAL (delivered to a VM of this host), ADMIT_REMOTE (encapsulated to
another host), CT_FULL (refused at `conntrack_full`, counted), PUNT (anything else — a
drop that needs its explanation, flow-log record and counters, a VPC service, a gateway, an
allowance: the readable slow path decides it). Connection rows are created only for
admitted packets, after every check passed; a reopened connection (a fresh SYN on a
finished one) replaces its row then, so it needs no room on its ENI.

Output row (int64): code, destination ENI, traffic path, path MTU, then per side (sender,
receiver) the conntrack row, its incarnation and the packet's direction on it (-1: none),
and which sides' rows this decision created (O_NEW: 1 sender, 2 receiver), and O_SWEEP: on
a PUNT only because a full ENI is due a sweep, that ENI's conntrack index (else -1) — the
caller sweeps it (ConntrackTable.sweep) and decides the packet again.

Exactly the slow path's outcome, also where connection tracking is at its edges: a key
that finds an expired row frees it as the slow path's lookup does (security.py; every
check the slow path makes before its security-group stage is made before), a refusal at
capacity is CT_FULL only when the slow path would not sweep first (an ENI above
SMALL_SWEEP_ROWS swept within SWEEP_INTERVAL_S, or any ENI swept at this very instant,
when a sweep frees nothing more; otherwise the slow path sweeps, and may then admit),
and a VM sending to itself punts (its egress row is the ingress hit).
`decide_vm_packet` / `decide_underlay_packet` decide one packet; the entry kernels loop.
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.tables.layout import DIRECTION_EGRESS, DIRECTION_INGRESS, PolicyTables
from smartnic.dataplane.admission import route as rt
from smartnic.dataplane.admission.ctops import create
from smartnic.dataplane.admission.match import (
    inside_vpc_or_peers,
    may_send_from,
    nacl_allows,
    owns,
    route_target,
    subnet_contains,
    vpc_contains,
)
from smartnic.dataplane.admission.security import SG_HIT, SG_NEW, SG_UNTRACKED, sg_decide
from smartnic.dataplane.conntrack.arrays import ORIGIN_EGRESS, ORIGIN_INGRESS, CtArrays
from smartnic.dataplane.conntrack.table import SMALL_SWEEP_ROWS, SWEEP_INTERVAL_S
from smartnic.dataplane.kernel import inline_kernel, refcount_free_kernel

PUNT, ADMIT_LOCAL, ADMIT_REMOTE, CT_FULL = 0, 1, 2, 3
O_CODE, O_DST, O_PATH, O_MTU = 0, 1, 2, 3
O_SRC_CT, O_DST_CT = 4, 7  # row, incarnation, direction (0 original, 1 reply, -1 none)
O_NEW = 10  # bit set: NEW_SENDER | NEW_RECEIVER when this decision created the row
O_SWEEP = 11  # conntrack ENI index due a sweep before this packet can be decided, or -1
NEW_SENDER, NEW_RECEIVER = 1, 2
OUT_COLUMNS = 12
MAX_MTU_BYTES = 9001


@inline_kernel
def receive_ok(t: PolicyTables, dst: int, vpc: int, sender: int, from_gateway: bool,
               meta: np.ndarray, addr: np.ndarray) -> bool:
    """vpc_check, dst_nacl_ingress, src_dst_check of the receiving stages (receive.py)."""
    version, proto, dport, itype, icode = meta[0], meta[1], meta[3], meta[4], meta[5]
    if t.eni_vpc[dst] != vpc and (from_gateway or not t.peered[vpc, t.eni_vpc[dst]]):
        return False
    subnet = t.eni_subnet[dst]
    if from_gateway:
        inside = False
    elif sender >= 0:
        inside = t.eni_subnet[sender] == subnet
    else:
        inside = subnet_contains(t, subnet, version, addr[0], addr[1])
    if not inside and not nacl_allows(t, t.sub_nacl[subnet], DIRECTION_INGRESS, version,
                                      addr[0], addr[1], proto, dport, itype, icode):
        return False
    return not t.eni_check[dst] or owns(t, dst, version, addr[2], addr[3])


@inline_kernel
def overlay_sender_ok(t: PolicyTables, dst: int, vpc: int, sender: int, from_gateway: bool,
                      meta: np.ndarray, addr: np.ndarray, probe: np.ndarray) -> bool:
    """What intake.receive checks of a sender on the overlay (stage `decap`); False where it
    may drop, so the slow path decides and counts. An ENI sends only in its own VPC's VNI,
    from a source it may send from (ENI-R6, RT-R8), along its own route to
    `dst` (RT-R10: across a peering from inside its VPC). From the edge (sender -1): the VPC
    has an internet gateway, the source is no address of it or its peers, the destination
    is `dst`'s own (a gateway route table's middlebox target is left to the slow path)."""
    version = meta[0]
    if sender < 0:
        return from_gateway and not inside_vpc_or_peers(t, vpc, version, addr[0], addr[1]) \
            and owns(t, dst, version, addr[2], addr[3])
    if t.eni_vpc[sender] != vpc:
        return False
    if not may_send_from(t, sender, version, addr[0], addr[1], probe):
        return False
    if route_target(t, sender, version, addr[2], addr[3], probe) != dst:
        return False
    return t.eni_vpc[dst] == vpc or vpc_contains(t, vpc, version, addr[0], addr[1])


@inline_kernel
def has_room(ct: CtArrays, ct_eni: int, replaced: int) -> bool:
    """Room for a new connection; one that replaces a finished row (`replaced` >= 0,
    sg_decide's res[0]) takes no more."""
    return replaced >= 0 or ct.eni_count[ct_eni] < ct.eni_capacity[ct_eni]


@inline_kernel
def refusal_is_final(ct: CtArrays, ct_eni: int, now_s: float) -> bool:
    """A full ENI the slow path would not sweep before refusing (ConntrackTable.sweep), or
    one swept at `now_s` already: no row can have expired since."""
    swept = ct.eni_swept_s[ct_eni]
    return swept == now_s or (ct.eni_count[ct_eni] > SMALL_SWEEP_ROWS
                              and now_s - swept < SWEEP_INTERVAL_S)


@inline_kernel
def refuse_or_ask_for_sweep(ct: CtArrays, ct_eni: int, now_s: float,
                            out: np.ndarray) -> None:
    """A new connection on a full ENI: CT_FULL (counted) if final, else name the ENI to
    sweep (the packet stays a PUNT until the caller swept and decided again)."""
    if refusal_is_final(ct, ct_eni, now_s):
        ct.eni_exceeded[ct_eni] += 1
        out[O_CODE] = CT_FULL
    else:
        out[O_SWEEP] = ct_eni


@inline_kernel
def no_reference(out: np.ndarray, column: int) -> None:
    out[column] = -1
    out[column + 1] = -1
    out[column + 2] = -1


@inline_kernel
def commit_side(ct: CtArrays, index: np.ndarray, free: np.ndarray, top: np.ndarray,
                status: int, res: np.ndarray, words: np.ndarray, ct_eni: int, proto: int,
                origin: int, now_s: float, tcp_columns: np.ndarray, out: np.ndarray,
                column: int, new_bit: int) -> bool:
    """Record the conntrack reference of one side, creating its row if the flow is new."""
    if status == SG_HIT:
        row, direction = res[0], res[1]
    elif status == SG_NEW:
        row = create(ct, index, free, top, words, ct_eni, proto, origin, now_s, tcp_columns)
        if row < 0:
            return False
        direction = 0
        out[O_NEW] |= new_bit
    else:
        no_reference(out, column)
        return True
    out[column] = row
    out[column + 1] = ct.incarnation[row]
    out[column + 2] = direction
    return True


@inline_kernel
def sender_checks(t: PolicyTables, eni: int, meta: np.ndarray, addr: np.ndarray,
                  probe: np.ndarray) -> bool:
    """allowance, reserved_service and src_dst_check: anything but a plain pass punts."""
    if t.eni_pps[eni] > 0 or rt.is_service(t, eni, meta, addr):
        return False
    return may_send_from(t, eni, meta[0], addr[0], addr[1], probe)


@inline_kernel
def decide_vm_packet(t: PolicyTables, local_host: int, ct_eni_of: np.ndarray, ct: CtArrays,
                     index: np.ndarray, free: np.ndarray, top: np.ndarray,
                     tcp_columns: np.ndarray, eni: int, meta: np.ndarray, addr: np.ndarray,
                     now_s: float, out: np.ndarray, scratch: np.ndarray,
                     results: np.ndarray) -> None:
    """The sending stages for one packet of local ENI `eni` (`meta`, `addr`, `out`: its
    rows). `scratch` uint64[5, 5] and `results` int64[2, 2]: working rows."""
    fwd, rev, dst_fwd, dst_rev, probe = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    res, dst_res = results[0], results[1]
    out[O_CODE] = PUNT
    out[O_NEW] = 0
    out[O_SWEEP] = -1
    if not sender_checks(t, eni, meta, addr, probe):
        return
    src_ct = ct_eni_of[eni]
    status = sg_decide(t, ct, index, free, top, src_ct, eni, DIRECTION_EGRESS, meta, addr,
                       -1, now_s, fwd, rev, res)
    if status != SG_HIT and status != SG_NEW and status != SG_UNTRACKED:
        return
    dst = rt.next_hop(t, eni, meta, addr, probe, out)
    if dst < 0 or dst == eni:
        return
    if t.eni_host[dst] != local_host:
        if status == SG_NEW and not has_room(ct, src_ct, res[0]):
            refuse_or_ask_for_sweep(ct, src_ct, now_s, out)
            return
        if commit_side(ct, index, free, top, status, res, fwd, src_ct, meta[1], ORIGIN_EGRESS,
                       now_s, tcp_columns, out, O_SRC_CT, NEW_SENDER):
            out[O_CODE] = ADMIT_REMOTE
            no_reference(out, O_DST_CT)
        return
    if t.eni_pps[dst] > 0 or not receive_ok(t, dst, t.eni_vpc[eni], eni, False, meta, addr):
        return
    dst_ct = ct_eni_of[dst]
    dst_status = sg_decide(t, ct, index, free, top, dst_ct, dst, DIRECTION_INGRESS, meta,
                           addr, t.eni_tag[eni], now_s, dst_fwd, dst_rev, dst_res)
    if dst_status > SG_UNTRACKED:
        return
    if (status == SG_NEW and not has_room(ct, src_ct, res[0])) or (
            dst_status == SG_NEW and not has_room(ct, dst_ct, dst_res[0])):
        return  # the slow path sweeps, or explains the refusal with its records
    if top[0] < (status == SG_NEW) + (dst_status == SG_NEW):
        return  # no free row for both sides (the table at max_rows): never half a decision
    commit_side(ct, index, free, top, status, res, fwd, src_ct, meta[1], ORIGIN_EGRESS, now_s,
                tcp_columns, out, O_SRC_CT, NEW_SENDER)
    commit_side(ct, index, free, top, dst_status, dst_res, dst_fwd, dst_ct, meta[1],
                ORIGIN_INGRESS, now_s, tcp_columns, out, O_DST_CT, NEW_RECEIVER)
    out[O_CODE] = ADMIT_LOCAL


@inline_kernel
def decide_underlay_packet(t: PolicyTables, ct_eni_of: np.ndarray, ct: CtArrays,
                           index: np.ndarray, free: np.ndarray, top: np.ndarray,
                           tcp_columns: np.ndarray, dst: int, sender: int, sender_tag: int,
                           vpc: int, from_gateway: bool, meta: np.ndarray, addr: np.ndarray,
                           now_s: float, out: np.ndarray, scratch: np.ndarray,
                           results: np.ndarray) -> None:
    """The receiving stages for one packet from the underlay (`sender` -1: the edge)."""
    fwd, rev, res = scratch[0], scratch[1], results[0]
    out[O_CODE] = PUNT
    out[O_NEW] = 0
    out[O_SWEEP] = -1
    if not overlay_sender_ok(t, dst, vpc, sender, from_gateway, meta, addr, scratch[4]):
        return
    if t.eni_pps[dst] > 0 or not receive_ok(t, dst, vpc, sender, from_gateway, meta, addr):
        return
    dst_ct = ct_eni_of[dst]
    status = sg_decide(t, ct, index, free, top, dst_ct, dst, DIRECTION_INGRESS, meta, addr,
                       sender_tag, now_s, fwd, rev, res)
    if status > SG_UNTRACKED:
        return
    if status == SG_NEW and not has_room(ct, dst_ct, res[0]):
        refuse_or_ask_for_sweep(ct, dst_ct, now_s, out)
        return
    out[O_DST] = dst
    no_reference(out, O_SRC_CT)
    if commit_side(ct, index, free, top, status, res, fwd, dst_ct, meta[1], ORIGIN_INGRESS,
                   now_s, tcp_columns, out, O_DST_CT, NEW_RECEIVER):
        out[O_CODE] = ADMIT_LOCAL  # else no free row (max_rows): the slow path refuses


@refcount_free_kernel
def decide_vm(t: PolicyTables, local_host: int, ct_eni_of: np.ndarray, ct: CtArrays,
              index: np.ndarray, free: np.ndarray, top: np.ndarray, tcp_columns: np.ndarray,
              src: np.ndarray, meta: np.ndarray, addr: np.ndarray, now_s: float,
              out: np.ndarray, scratch: np.ndarray, results: np.ndarray) -> None:
    """The sending stages for packets from local VM ports (`src`: sending ENI per packet)."""
    for i in range(src.shape[0]):
        decide_vm_packet(t, local_host, ct_eni_of, ct, index, free, top, tcp_columns, src[i],
                         meta[i], addr[i], now_s, out[i], scratch, results)


@refcount_free_kernel
def decide_underlay(t: PolicyTables, ct_eni_of: np.ndarray, ct: CtArrays, index: np.ndarray,
                    free: np.ndarray, top: np.ndarray, tcp_columns: np.ndarray,
                    receiver: np.ndarray, sender: np.ndarray, sender_tag: np.ndarray,
                    vpc: np.ndarray, from_gateway: np.ndarray, meta: np.ndarray,
                    addr: np.ndarray, now_s: float, out: np.ndarray, scratch: np.ndarray,
                    results: np.ndarray) -> None:
    """The receiving stages for packets from the underlay."""
    for i in range(receiver.shape[0]):
        decide_underlay_packet(t, ct_eni_of, ct, index, free, top, tcp_columns, receiver[i],
                               sender[i], sender_tag[i], vpc[i], from_gateway[i] == 1, meta[i],
                               addr[i], now_s, out[i], scratch, results)
