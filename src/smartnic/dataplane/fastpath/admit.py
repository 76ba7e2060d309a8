"""The admission pre-pass: new flows of a batch decided and installed before replay.

With a `CompiledPolicy`, `FastPath.process` runs the batch in rounds. Each round, from the
first packet not yet handled: `scan` (admit_scan.py) collects the misses (and the hits
the slow path would decide anew: an entry of an older generation, a connection gone,
expired or reopened by a fresh SYN) once per key with admission's columns; the admission
kernels decide them in order (admission/ordered.py); `install` (admit_install.py) turns
admitted flows into flow entries and drops the packets refused at `conntrack_full`
(counted on the ENI as the slow path counts them); then replay runs up to the round's end
(`run`'s result) and admitted flows hit. Whatever admission does not decide stays a punt,
handled by the slow path at its place, after which the next round starts.

Ordering. The slow path alone handles a batch packet by packet; a decision of the
pre-pass happens before the packets ahead of it are replayed. It stands only where that
cannot be told apart:
- Nothing the slow path does may come between: a round ends at the first packet that may
  reach it — one the classifier punted (fragments, ARP, services, malformed, ...); a miss
  admission punts (the slow path decides it and may create rows — a reverse connection a
  later miss of the same batch would hit —, sweep, or free expired rows); a hit replay
  might punt (larger than its path MTU, a fresh SYN on a connection an earlier packet may
  finish); a repeated fresh SYN of a collected key (a retransmission may reopen); a miss
  larger than the smallest path MTU a decision gives; a fresh SYN candidate after a hit
  on a finished connection (its decision may reopen what that hit, replayed later, must
  still find). Later misses wait for the next round, so a packet's earlier punted
  packets of the same flow (or of its reverse) are always handled first.
- Replays of the round's hits happen after its decisions, but change nothing a decision
  reads except TCP states: liveness only grows, counts do not move (a hit on an expired
  row is decided, not replayed, so no replay needs a row a decision freed). A decision resting
  on a state an earlier hit may still change — a fresh SYN admitted on an existing
  connection in its original direction — ends the round after it; its replay re-checks
  the reopen test and punts in order if needed.
- Decisions among themselves run in arrival order, so capacity (eni_count) is consumed
  as the slow path would; CT_FULL is final only where the slow path would not sweep
  first, and later packets of a refused key meet the same full table.
- Replays re-check every reference, so a decision whose connection ends before it is
  replayed punts then, in order.
A full ENI the slow path would sweep first is swept here (ConntrackTable.sweep) at the
candidate that needs a row on it, and the decisions resume there.
Left out on purpose (a punt then): allowances, services, gateways, drops that need their
explanation and flow-log record.

Counters: `tally[0]` admitted flows, `tally[1]` refused packets (the caller's array, so
they outlive the Admitter of one Program); `FastPath.counters()` reports them.

Example:
    admitter = Admitter(view, entries, ctx, fast.install, np.zeros(2, np.int64))
    end = admitter.run(VM_SIDE, port, position, n, now_s, keys, info)  # replay [position, end)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from smartnic.dataplane.actions import FlowAction
from smartnic.dataplane.admission.decide import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    O_CODE,
    O_DST,
    O_SWEEP,
    OUT_COLUMNS,
    PUNT,
)
from smartnic.dataplane.context import EngineContext
from smartnic.dataplane.fastpath.admit_install import install
from smartnic.dataplane.fastpath.admit_scan import scan
from smartnic.dataplane.fastpath.admit_twin import twin_action
from smartnic.dataplane.fastpath.admit_view import AdmitView, underlay_columns
from smartnic.dataplane.fastpath.entries import Entries
from smartnic.dataplane.fastpath.flowkey import VM_SIDE

Install = Callable[[np.ndarray, FlowAction], bool]


class Admitter:
    def __init__(self, view: AdmitView, entries: Entries, ctx: EngineContext,
                 install_action: Install, tally: np.ndarray, *,
                 kernel_install: bool = True) -> None:
        self.view, self.entries, self.ctx = view, entries, ctx
        self.install_action = install_action  # the twin's way in (FastPath.install)
        self.kernel_install = kernel_install
        self.tally = tally
        self._size = -1
        self._refused = np.zeros(len(view.policy.eni_ids), np.int64)
        self._n, self._touched_n = np.zeros(2, np.int64), np.zeros(1, np.int64)
        self._found = self._n.data  # read once per round: cheaper than a numpy index

    def run(self, side: int, port: int, pos: int, count: int, now_s: float,
            keys: np.ndarray, info: np.ndarray) -> int:
        """Decide and install what may be decided from `pos`; returns the round's end."""
        self._fit(count)
        view, ct = self.view, self.ctx.conntrack.arrays
        ft, n = self.entries.table.arrays, self._n
        limit = scan(pos, count, view.program.generation, now_s, view.min_mtu, keys, info,
                     ft.slots, ft.keys, ft.acts, ct.live, ct.incarnation, ct.expires_s,
                     ct.state, ct.proto_class, self._seen, self._cand, self._meta, self._addr,
                     self._dup, self._dup_of, n)
        end, found = (limit + 1 if limit < count else count), self._found[0]
        src = view.port_eni.get(port, -1) if side == VM_SIDE else -1
        if found == 0 or (side == VM_SIDE and src < 0):
            return end
        stop = self._decide(side, src, 0, found, now_s, keys)
        for _ in range(len(self.view.policy.eni_ids)):  # each ENI is swept once at now_s
            if stop < 0 or self._out[stop, O_SWEEP] < 0:
                break
            # the slow path would sweep this full ENI at this packet; no hit of the round
            # refers to an expired row (scan ends rounds there), so sweeping now is the same
            self.ctx.conntrack.sweep(int(self._out[stop, O_SWEEP]), now_s)
            stop = self._decide(side, src, stop, found, now_s, keys)
        decided = found
        if stop >= 0:
            end = int(self._cand[stop]) + 1
            decided = stop if self._out[stop, O_CODE] == PUNT else stop + 1
        self._install(side, src, decided, end, keys, info)
        return end

    def _decide(self, side: int, src: int, begin: int, found: int, now_s: float,
                keys: np.ndarray) -> int:
        """Decide candidates [begin, found) in order; the stopping one's index, or -1."""
        rows = slice(begin, found)
        policy, meta, addr = self.view.policy, self._meta[rows], self._addr[rows]
        out = self._out[rows]
        if side == VM_SIDE:
            stop = policy.decide_vm_in_order(src, meta, addr, now_s, out)
        else:
            receiver, sender, sender_tag, vpc, from_gateway = self._underlay
            if begin == 0:
                underlay_columns(self.view.arrays, keys, self._cand, found, receiver, sender,
                                 sender_tag, vpc, from_gateway)
            stop = policy.decide_underlay_in_order(
                receiver[rows], sender[rows], sender_tag[rows], vpc[rows],
                from_gateway[rows], meta, addr, now_s, out)
        return stop if stop < 0 else begin + stop

    def _install(self, side: int, src: int, decided: int, end: int, keys: np.ndarray,
                 info: np.ndarray) -> None:
        codes = self._out[:decided, O_CODE]
        admitted = (codes == ADMIT_LOCAL) | (codes == ADMIT_REMOTE)
        self.tally[0] += int(np.count_nonzero(admitted))
        if self.kernel_install:
            remote = self._out[:decided][codes == ADMIT_REMOTE, O_DST]
            if remote.shape[0]:
                self.view.ensure_tunnels(src, self.view.arrays.eni_host[remote])
            self.entries.reserve(decided)
            self.entries.logs.reserve(2 * decided)
        ft, logs = self.entries.table.arrays, self.entries.logs.arrays
        receiver, sender = self._underlay[0], self._underlay[1]
        install(side, decided, int(self._n[1]), end, self.view.program.generation,
                self.kernel_install, self._cand, self._dup, self._dup_of, self._out, src,
                receiver, sender, keys, info, self.view.arrays, ft, logs.acc, logs.meta,
                logs.free, logs.top, self.ctx.conntrack.arrays.eni_exceeded, self._refused,
                self._touched, self._touched_n)
        if self._touched_n[0]:
            self.entries.forget_rows(self._touched[:self._touched_n[0]].tolist())
        self._count_refused()
        if not self.kernel_install:
            for k in np.flatnonzero(admitted).tolist():
                self._install_twin(side, src, k, keys, info)

    def _install_twin(self, side: int, src: int, k: int, keys: np.ndarray,
                      info: np.ndarray) -> None:
        i = int(self._cand[k])
        receiver, sender = int(self._underlay[0][k]), int(self._underlay[1][k])
        action = twin_action(self.view, side, self._out[k], keys[i], info[:, i], src,
                             receiver, sender, self.view.program.generation,
                             self.ctx.conntrack)
        self.install_action(keys[i].copy(), action)

    def _count_refused(self) -> None:
        refused = self._refused
        ids, counters = self.view.policy.eni_ids, self.ctx.counters
        for eni in np.flatnonzero(refused).tolist():
            for _ in range(int(refused[eni])):
                counters.drop(ids[eni], "conntrack_full", "conntrack_table_full")
            self.tally[1] += int(refused[eni])
            refused[eni] = 0

    def _fit(self, count: int) -> None:
        """Scratch columns for batches of `count` packets (kept while sizes repeat)."""
        if count <= self._size:
            return
        self._size = count
        self._cand, self._dup, self._dup_of = (np.zeros(count, np.int64) for _ in range(3))
        self._meta, self._addr = np.zeros((count, 8), np.int64), np.zeros((count, 4), np.uint64)
        self._out = np.zeros((count, OUT_COLUMNS), np.int64)
        self._underlay = tuple(np.zeros(count, np.int64) for _ in range(5))
        self._touched = np.zeros(count, np.int64)
        self._seen = np.zeros(1 << max(4, (2 * count - 1).bit_length()), np.int64)

