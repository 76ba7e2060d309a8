"""Stateful security-group decision for one ENI and direction (the kernels' `_evaluate`).

Mirrors stages/security_group.py over ConntrackTable's lookup: an expired row met under
the forward or reverse key is freed and the lookup goes on (as `lookup` frees it); a live
tracked connection passes; a fresh SYN on a finished one is judged as new by the rules,
and its row is replaced when the new connection is committed (ctops.create), so the ENI
needs no room for it (`res[0]` names that row, else -1). Otherwise the ENI's rules
decide, and a permitted TCP/UDP flow is untracked when SG-R20 says so for it or for its
reverse.
Result codes: SG_HIT (row, is_reply in `res`), SG_NEW (tracked: a row must be created
under the forward key), SG_UNTRACKED, SG_DENY.
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.tables.layout import DIRECTION_EGRESS, DIRECTION_INGRESS, PolicyTables
from smartnic.dataplane.admission.ctops import FORWARD, REVERSE, flow_keys
from smartnic.dataplane.admission.match import sg_match
from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack import rows
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.arrays import CtArrays
from smartnic.dataplane.kernel import inline_kernel

SG_HIT, SG_NEW, SG_UNTRACKED, SG_DENY = 0, 1, 2, 3


@inline_kernel
def sg_decide(t: PolicyTables, ct: CtArrays, index: np.ndarray, free: np.ndarray,
              top: np.ndarray, ct_eni: int, eni: int, direction: int, meta: np.ndarray,
              addr: np.ndarray, sender_tag: int, now_s: float, fwd: np.ndarray,
              rev: np.ndarray, res: np.ndarray) -> int:
    """`meta`: version, proto, sport, dport, icmp type, icmp code, icmp id, tcp flags."""
    version, proto, sport, dport = meta[0], meta[1], meta[2], meta[3]
    itype, icode, iid, flags = meta[4], meta[5], meta[6], meta[7]
    keys = flow_keys(ct_eni, proto, addr, sport, dport, itype, iid, fwd, rev)
    res[0] = -1
    for bit, words, is_reply in ((FORWARD, fwd, 0), (REVERSE, rev, 1)):
        if keys & bit:
            row = ix.find(index, ct.key, words)
            if row >= 0:
                if ct.expires_s[row] <= now_s:
                    rows.free_row(ct, index, free, top, row)  # as the slow path's lookup
                    continue
                if ct.proto_class[row] == st.CLASS_TCP and st.tcp_reopens(
                        ct.state[row], flags, is_reply == 1):
                    res[0] = row  # judged as new; the new connection replaces this row
                    break
                res[0] = row
                res[1] = is_reply
                return SG_HIT
    ingress = direction == DIRECTION_INGRESS
    p_hi, p_lo = (addr[0], addr[1]) if ingress else (addr[2], addr[3])
    found = sg_match(t, eni, direction, version, p_hi, p_lo, proto, dport, itype, icode,
                     sender_tag if ingress else -1)
    if found == 0:
        return SG_DENY
    if keys & FORWARD == 0 or _untracked(t, eni, direction, meta, addr, found):
        return SG_UNTRACKED
    return SG_NEW


@inline_kernel
def _untracked(t: PolicyTables, eni: int, direction: int, meta: np.ndarray, addr: np.ndarray,
               found: int) -> bool:
    version, proto, sport = meta[0], meta[1], meta[2]
    if proto != 6 and proto != 17:
        return False  # SG-R21: ICMP and other protocols are always tracked
    v, p = 0 if version == 4 else 1, 0 if proto == 6 else 1
    if found == 2 and t.open_responses[eni, direction, v, p]:
        return True
    opposite = DIRECTION_EGRESS if direction == DIRECTION_INGRESS else DIRECTION_INGRESS
    if not t.open_responses[eni, opposite, v, p]:
        return False
    # The reverse packet (SG-R20 decides per flow, replies included).
    r_hi, r_lo = (addr[2], addr[3]) if opposite == DIRECTION_INGRESS else (addr[0], addr[1])
    return sg_match(t, eni, opposite, version, r_hi, r_lo, proto, sport, 0, 0, -1) == 2
