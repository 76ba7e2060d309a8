"""The pre-pass's scan: which packets of a classified batch admission may decide.

From `pos`, in arrival order, up to the first packet whose handling may reach the slow
path (returned: its index, or `count`):
- a packet the classifier punted (status not OK);
- a hit on a current entry that replay might punt: larger than the entry's path MTU, or a
  fresh TCP SYN (SYN without ACK) on an original-direction reference to a connection not
  finished yet (an earlier packet may finish it, and the SYN would then reopen it);
- a miss larger than the smallest path MTU a decision could give (`min_mtu`), a fresh SYN
  repeating a key already collected, or a fresh SYN after a hit of the round on a
  finished connection (its decision may reopen that connection, which the earlier hit's
  replay, after the decisions, must still find).
Misses are collected once per key (`cand`: packet indices, in order) with admission's
columns (`meta`, `addr`, see admission/columns.py), and so are hits the slow path would
decide anew: an entry of an older generation, a conntrack reference that is gone or
expired (the decision looks the connection up again and frees an expired row, as the
slow path's lookup does), a fresh SYN on a finished connection (the decision reopens it).
Later packets of a collected key are listed in `dup` with the ordinal of their key's
candidate in `dup_of`. `n[0]`, `n[1]`: how many candidates and repeats. Packets already
refused by the pre-pass (DROPPED) are skipped. `seen`: scratch of a power-of-two size
≥ 2 × count (candidate ordinal + 1 per slot, cleared here).

Example:
    limit = scan(0, n, generation, now_s, min_mtu, keys, info, ft.slots, ft.keys, ft.acts,
                 ct.live, ct.incarnation, ct.expires_s, ct.state, ct.proto_class, seen,
                 cand, meta, addr, dup, dup_of, n)
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath.columns import (
    I_IP_TOTAL,
    I_L4_WORD,
    I_PROTO,
    I_STATUS,
    I_TCP_FLAGS,
    I_VERSION,
)
from smartnic.dataplane.fastpath.flowkey import KEY_WORDS
from smartnic.dataplane.fastpath.flowtable import find_row, slot_hash
from smartnic.dataplane.fastpath.parse import DROPPED, OK, PROTO_TCP, PROTO_UDP
from smartnic.dataplane.kernel import kernel

V4_MAPPED = np.uint64(0xFFFF << 32)


@kernel
def fresh_syn(proto: int, flags: int) -> bool:
    return (proto == PROTO_TCP) & ((flags & st.SYN) != 0) & ((flags & st.ACK) == 0)


HIT_REPLAY, HIT_ENDS_ROUND, HIT_DECIDE, HIT_ON_FINISHED = 0, 1, 2, 3


@kernel
def hit_verdict(i: int, row: int, now_s: float, info: np.ndarray, acts: np.ndarray,
                live: np.ndarray, incarnation: np.ndarray, expires_s: np.ndarray,
                state: np.ndarray, proto_class: np.ndarray) -> int:
    """How the scan treats packet i, a hit on current entry `row` (see the docstring):
    replayed (HIT_ON_FINISHED: and it touches a finished TCP connection), the round's
    last packet, or decided anew."""
    if info[I_IP_TOTAL, i] > acts[row, a.A_MTU]:
        return HIT_ENDS_ROUND
    syn = fresh_syn(info[I_PROTO, i], info[I_TCP_FLAGS, i])
    verdict = HIT_REPLAY
    for k in range(acts[row, a.A_CT_COUNT]):
        column = a.A_CT[k]
        ct_row = acts[row, column]
        if (live[ct_row] != 1) | (incarnation[ct_row] != acts[row, column + 1]):
            return HIT_DECIDE
        if expires_s[ct_row] <= now_s:
            return HIT_DECIDE
        if proto_class[ct_row] != st.CLASS_TCP:
            continue
        finished = state[ct_row] >= st.TCP_TIME_WAIT
        if syn & (acts[row, column + 2] == 0):
            if finished:
                return HIT_DECIDE
            verdict = HIT_ENDS_ROUND
        elif finished & (verdict == HIT_REPLAY):
            verdict = HIT_ON_FINISHED
    return verdict


@kernel
def collected(keys: np.ndarray, i: int, seen: np.ndarray, cand: np.ndarray,
              n_cand: int) -> int:
    """The ordinal of the candidate with packet i's key, or -(its free slot) - 1."""
    mask = seen.shape[0] - 1
    slot = slot_hash(keys[i, KEY_WORDS]) & mask
    while seen[slot] != 0:
        other = cand[seen[slot] - 1]
        same = True
        for j in range(KEY_WORDS + 1):
            if keys[other, j] != keys[i, j]:
                same = False
                break
        if same:
            return int(seen[slot] - 1)
        slot = (slot + 1) & mask
    return -slot - 1


@kernel
def put_columns(keys: np.ndarray, info: np.ndarray, i: int, meta: np.ndarray,
                addr: np.ndarray, k: int) -> None:
    """admission/columns.py's rows for packet i (IPv4 as ::ffff:a.b.c.d)."""
    version, proto, word = info[I_VERSION, i], info[I_PROTO, i], info[I_L4_WORD, i]
    meta[k, 0], meta[k, 1], meta[k, 7] = version, proto, info[I_TCP_FLAGS, i]
    if (proto == PROTO_TCP) | (proto == PROTO_UDP):
        meta[k, 2], meta[k, 3] = (word >> 16) & 0xFFFF, word & 0xFFFF
        meta[k, 4], meta[k, 5], meta[k, 6] = 0, 0, 0
    else:
        meta[k, 2], meta[k, 3] = 0, 0
        meta[k, 4], meta[k, 5], meta[k, 6] = (word >> 24) & 0xFF, (word >> 16) & 0xFF, word & 0xFFFF
    for j in range(4):
        addr[k, j] = keys[i, j]
    if version == 4:
        addr[k, 1] = keys[i, 1] | V4_MAPPED
        addr[k, 3] = keys[i, 3] | V4_MAPPED


@kernel
def scan(pos: int, count: int, generation: int, now_s: float, min_mtu: int,
         keys: np.ndarray, info: np.ndarray, slots: np.ndarray, table_keys: np.ndarray,
         acts: np.ndarray, live: np.ndarray, incarnation: np.ndarray, expires_s: np.ndarray,
         state: np.ndarray, proto_class: np.ndarray, seen: np.ndarray, cand: np.ndarray,
         meta: np.ndarray, addr: np.ndarray, dup: np.ndarray, dup_of: np.ndarray,
         n: np.ndarray) -> int:
    seen[:] = 0
    n[0], n[1] = 0, 0
    finished_hit = False  # a hit of this round touches a finished TCP connection
    for i in range(pos, count):
        status = info[I_STATUS, i]
        if status == DROPPED:
            continue
        if status != OK:
            return i
        row = find_row(slots, table_keys, keys, i)
        if row >= 0:
            if acts[row, a.A_GENERATION] == generation:
                verdict = hit_verdict(i, row, now_s, info, acts, live, incarnation,
                                      expires_s, state, proto_class)
                if verdict == HIT_ENDS_ROUND:
                    return i
                if verdict != HIT_DECIDE:
                    finished_hit |= verdict == HIT_ON_FINISHED
                    continue
        if info[I_IP_TOTAL, i] > min_mtu:
            return i
        syn = fresh_syn(info[I_PROTO, i], info[I_TCP_FLAGS, i])
        if syn & finished_hit:
            return i
        found = collected(keys, i, seen, cand, n[0])
        if found >= 0:
            if syn:
                return i
            dup[n[1]], dup_of[n[1]] = i, found
            n[1] += 1
            continue
        seen[-found - 1] = n[0] + 1
        cand[n[0]] = i
        put_columns(keys, info, i, meta, addr, n[0])
        n[0] += 1
    return count
