"""The pre-pass's install kernel: admission outcomes become flow entries, without Python.

For each decided candidate (admit.py), in order:
- ADMIT_LOCAL / ADMIT_REMOTE: the action row the slow path's FlowAction compiles to
  (action_rows.py) — conntrack references sender first, flow-log slots egress then
  ingress (numeric metadata, logslots.py), the router-rewritten MACs of
  `stages/forward.py: inner_source_mac`, for the underlay the tunnel template of
  (sender ENI, destination host) and the outer UDP source port `flow_entropy_port` of
  `keys.entropy_hash` over the key words — inserted in the flow table: an entry of an
  older generation is replaced in place, a full table evicts its CLOCK victim (slots
  given back); both rows are listed in `touched` for the Python side (entries.py).
- CT_FULL: the packet is marked DROPPED and counted in `refused` (per admission ENI; the
  kernel already counted `conntrack_allowance_exceeded`). Later packets of its key before
  `end` meet the same full table (nothing frees rows before the slow path runs again) and
  are refused the same way, each counted as the slow path would.
With `write_rows` False only the refusals are applied (the Python twin installs).

Views (`v`, admit_view.KernelView) are indexed by admission ENI number. The kernel is one
loop over flat arguments; its helpers take rows and scalars (fastpath/columns.py).

Example:
    install(VM_SIDE, decided, n_dup, end, generation, True, cand, dup, dup_of, out, src,
            receiver, sender, keys, info, view, ft, logs..., exceeded, refused, touched, n)
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.admission.decide import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    CT_FULL,
    MAX_MTU_BYTES,
    O_CODE,
    O_DST,
    O_DST_CT,
    O_MTU,
    O_PATH,
    O_SRC_CT,
)
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import logslots as ls
from smartnic.dataplane.fastpath.admit_view import KernelView
from smartnic.dataplane.fastpath.columns import I_L4_WORD, I_PROTO, I_STATUS, I_VERSION
from smartnic.dataplane.fastpath.entries import evict_one, release_slots
from smartnic.dataplane.fastpath.flowkey import VM_SIDE
from smartnic.dataplane.fastpath.flowtable import M_TOP, FlowTableArrays, find_row, ft_insert
from smartnic.dataplane.fastpath.parse import DROPPED, PROTO_TCP, PROTO_UDP
from smartnic.dataplane.kernel import kernel
from smartnic.dataplane.keys import entropy_hash

ENTROPY_PORT_MIN, ENTROPY_PORT_MASK = 49152, 0x3FFF  # packet/overlay.py: flow_entropy_port
L3L4_MASK = np.uint64((1 << 48) - 1)  # w4 without the side bits: keys.l3l4_word


@kernel
def place(ft: FlowTableArrays, keys: np.ndarray, i: int, acc: np.ndarray, free: np.ndarray,
          top: np.ndarray, touched: np.ndarray, n: np.ndarray) -> int:
    """The row for packet i's key, emptied: an older entry's row, a free row, or a victim's."""
    row = find_row(ft.slots, ft.keys, keys, i)
    if row >= 0:
        release_slots(ft.acts, row, acc, free, top)
        touched[n[0]] = row
        n[0] += 1
    else:
        if ft.meta[M_TOP] == 0:
            touched[n[0]] = evict_one(ft, acc, free, top)
            n[0] += 1
        row = ft_insert(ft, keys, i)[0]
    ft.acts[row, :] = 0
    return row


@kernel
def log_slot(v: KernelView, eni: int, direction: int, path: int, keys: np.ndarray,
             info: np.ndarray, i: int, meta: np.ndarray, free: np.ndarray,
             top: np.ndarray) -> int:
    """A slot for the flow's ACCEPT record on `eni` (-1: no flow log covers it)."""
    if v.eni_logged[eni] == 0:
        return -1
    slot = ls.take_slot(free, top)
    if slot < 0:  # unreachable: admit.py reserves two slots per decision
        return -1
    proto, word = info[I_PROTO, i], info[I_L4_WORD, i]
    ports = (proto == PROTO_TCP) | (proto == PROTO_UDP)
    meta[slot, ls.M_ENI], meta[slot, ls.M_DIRECTION] = v.eni_fast[eni], direction
    meta[slot, ls.M_ACTION], meta[slot, ls.M_PATH] = 0, path
    meta[slot, ls.M_VERSION], meta[slot, ls.M_PROTO] = info[I_VERSION, i], proto
    meta[slot, ls.M_SRC_HI], meta[slot, ls.M_SRC_LO] = np.int64(keys[i, 0]), np.int64(keys[i, 1])
    meta[slot, ls.M_DST_HI], meta[slot, ls.M_DST_LO] = np.int64(keys[i, 2]), np.int64(keys[i, 3])
    meta[slot, ls.M_SPORT] = (word >> 16) & 0xFFFF if ports else 0
    meta[slot, ls.M_DPORT] = word & 0xFFFF if ports else 0
    meta[slot, ls.M_PYTHON] = 0
    return slot


@kernel
def put_refs(acts: np.ndarray, row: int, out: np.ndarray, k: int) -> None:
    count = 0
    for column in (O_SRC_CT, O_DST_CT):
        if out[k, column] >= 0:
            target = a.A_CT[count]
            acts[row, target] = out[k, column]
            acts[row, target + 1] = out[k, column + 1]
            acts[row, target + 2] = out[k, column + 2]
            count += 1
    acts[row, a.A_CT_COUNT] = count


@kernel
def put_macs(v: KernelView, acts: np.ndarray, row: int, sender: int, dst: int) -> None:
    """ENI-R5: the sender's MAC within a subnet, the receiver's VPC router's otherwise."""
    acts[row, a.A_DST_MAC] = v.eni_mac[dst]
    if sender >= 0 and v.eni_subnet[sender] == v.eni_subnet[dst]:
        acts[row, a.A_SRC_MAC] = v.eni_mac[sender]
    else:
        acts[row, a.A_SRC_MAC] = v.eni_router_mac[dst]


@kernel
def entropy_port(keys: np.ndarray, i: int) -> int:
    h = entropy_hash(keys[i, 0], keys[i, 1], keys[i, 2], keys[i, 3], keys[i, 4] & L3L4_MASK)
    return ENTROPY_PORT_MIN + ((h ^ (h >> 16)) & ENTROPY_PORT_MASK)


@kernel
def put_action(side: int, generation: int, code: int, k: int, i: int, src: int, sender: int,
               dst: int, out: np.ndarray, keys: np.ndarray, info: np.ndarray, v: KernelView,
               acts: np.ndarray, row: int, meta: np.ndarray, free: np.ndarray,
               top: np.ndarray) -> None:
    acts[row, a.A_GENERATION] = generation
    acts[row, a.A_MTU] = out[k, O_MTU] if side == VM_SIDE else MAX_MTU_BYTES
    put_refs(acts, row, out, k)
    put_macs(v, acts, row, sender, dst)
    logs = 0
    if side == VM_SIDE:
        slot = log_slot(v, src, ls.EGRESS, out[k, O_PATH], keys, info, i, meta, free, top)
        if slot >= 0:
            acts[row, a.A_LOG[0]] = slot
            logs = 1
    if code == ADMIT_REMOTE:
        acts[row, a.A_KIND], acts[row, a.A_PORT] = a.KIND_UNDERLAY, 0
        acts[row, a.A_TUNNEL] = v.tunnel_of[src, v.eni_host[dst]]
        acts[row, a.A_UDP_SPORT], acts[row, a.A_RX_ENI] = entropy_port(keys, i), -1
    else:
        acts[row, a.A_KIND], acts[row, a.A_PORT] = a.KIND_VM, v.eni_port[dst]
        acts[row, a.A_RX_ENI] = v.eni_fast[dst]
        slot = log_slot(v, dst, ls.INGRESS, ls.NO_PATH, keys, info, i, meta, free, top)
        if slot >= 0:
            acts[row, a.A_LOG[logs]] = slot
            logs += 1
    for column in range(logs, len(a.A_LOG)):
        acts[row, a.A_LOG[column]] = -1


@kernel
def install(side: int, decided: int, n_dup: int, end: int, generation: int, write_rows: bool,
            cand: np.ndarray, dup: np.ndarray, dup_of: np.ndarray, out: np.ndarray,
            src: int, receiver: np.ndarray, sender: np.ndarray, keys: np.ndarray,
            info: np.ndarray, v: KernelView, ft: FlowTableArrays, acc: np.ndarray,
            meta: np.ndarray, free: np.ndarray, top: np.ndarray, exceeded: np.ndarray,
            refused: np.ndarray, touched: np.ndarray, n: np.ndarray) -> None:
    n[0] = 0
    for k in range(decided):
        i, code = cand[k], out[k, O_CODE]
        if code == CT_FULL:
            info[I_STATUS, i] = DROPPED
            refused[src if side == VM_SIDE else receiver[k]] += 1
        elif write_rows & ((code == ADMIT_LOCAL) | (code == ADMIT_REMOTE)):
            row = place(ft, keys, i, acc, free, top, touched, n)
            by = src if side == VM_SIDE else sender[k]
            dst = out[k, O_DST] if side == VM_SIDE else receiver[k]
            put_action(side, generation, code, k, i, src, by, dst, out, keys, info, v,
                       ft.acts, row, meta, free, top)
    for d in range(n_dup):
        k, i = dup_of[d], dup[d]
        if (k < decided) & (i < end):
            if out[k, O_CODE] == CT_FULL:
                eni = src if side == VM_SIDE else receiver[k]
                info[I_STATUS, i] = DROPPED
                refused[eni] += 1
                exceeded[v.ct_eni_of[eni]] += 1
