"""Admission in arrival order, stopping where the slow path must take over.

The fast path's pre-pass (fastpath/admit.py) decides the new flows of a batch before it
replays the batch, so a decision may only stand while no packet before it has been left
to the slow path. These entry kernels decide rows in order, like `decide_vm` /
`decide_underlay`, and stop at the first row whose handling may reach the slow path:

- a PUNT: the slow path decides that packet (and may create rows, sweep, free);
- a fresh TCP SYN admitted on an existing connection in its original direction: an
  earlier packet of the batch, replayed after this decision, may finish that
  connection, and the SYN would then reopen it in the slow path (`tcp_reopens`).

`stop[0]` receives the index of the stopping row, or -1 when every row was decided. Rows
after the stop are left undecided (their `out` rows are not written).

Example:
    stop = np.full(1, -1, np.int64)
    decide_vm_in_order(tables, host, ct_eni_of, *bulk, tcp_columns, eni, meta, addr,
                       now_s, out, scratch, results, stop)
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.tables.layout import PolicyTables
from smartnic.dataplane.admission.decide import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    NEW_RECEIVER,
    NEW_SENDER,
    O_CODE,
    O_DST_CT,
    O_NEW,
    O_SRC_CT,
    PUNT,
    decide_underlay_packet,
    decide_vm_packet,
)
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.arrays import CtArrays
from smartnic.dataplane.kernel import inline_kernel, refcount_free_kernel


@inline_kernel
def continues_original(out: np.ndarray, column: int, new_bit: int) -> bool:
    """The side at `column` refers to an existing row, in the original direction."""
    return out[column] >= 0 and out[column + 2] == 0 and (out[O_NEW] & new_bit) == 0


@inline_kernel
def stops_here(meta: np.ndarray, out: np.ndarray) -> bool:
    code = out[O_CODE]
    if code == PUNT:
        return True
    if code != ADMIT_LOCAL and code != ADMIT_REMOTE:
        return False
    flags = meta[7]
    fresh_syn = meta[1] == 6 and (flags & st.SYN) != 0 and (flags & st.ACK) == 0
    return fresh_syn and (continues_original(out, O_SRC_CT, NEW_SENDER)
                          or continues_original(out, O_DST_CT, NEW_RECEIVER))


@refcount_free_kernel
def decide_vm_in_order(t: PolicyTables, local_host: int, ct_eni_of: np.ndarray, ct: CtArrays,
                       index: np.ndarray, free: np.ndarray, top: np.ndarray,
                       tcp_columns: np.ndarray, eni: int, meta: np.ndarray,
                       addr: np.ndarray, now_s: float, out: np.ndarray,
                       scratch: np.ndarray, results: np.ndarray, stop: np.ndarray) -> None:
    """Rows of packets sent by local ENI `eni`, in order (see the module docstring)."""
    stop[0] = -1
    for i in range(meta.shape[0]):
        decide_vm_packet(t, local_host, ct_eni_of, ct, index, free, top, tcp_columns, eni,
                         meta[i], addr[i], now_s, out[i], scratch, results)
        if stops_here(meta[i], out[i]):
            stop[0] = i
            return


@refcount_free_kernel
def decide_underlay_in_order(t: PolicyTables, ct_eni_of: np.ndarray, ct: CtArrays,
                             index: np.ndarray, free: np.ndarray, top: np.ndarray,
                             tcp_columns: np.ndarray, receiver: np.ndarray,
                             sender: np.ndarray, sender_tag: np.ndarray, vpc: np.ndarray,
                             from_gateway: np.ndarray, meta: np.ndarray, addr: np.ndarray,
                             now_s: float, out: np.ndarray, scratch: np.ndarray,
                             results: np.ndarray, stop: np.ndarray) -> None:
    """Rows of packets from the underlay, in order (see the module docstring)."""
    stop[0] = -1
    for i in range(meta.shape[0]):
        decide_underlay_packet(t, ct_eni_of, ct, index, free, top, tcp_columns, receiver[i],
                               sender[i], sender_tag[i], vpc[i], from_gateway[i] == 1,
                               meta[i], addr[i], now_s, out[i], scratch, results)
        if stops_here(meta[i], out[i]):
            stop[0] = i
            return
