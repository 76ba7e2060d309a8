"""`CompiledPolicy`: one engine's compiled policy tables and the calls into the kernels.

`decide_vm` / `decide_underlay` decide every row (decide.py); `decide_vm_in_order` /
`decide_underlay_in_order` stop where the slow path must take over (ordered.py) and
return the stopping row (-1: none), writing into the caller's `out` rows.
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.program import Program
from smartnic.compiler.tables import build_tables
from smartnic.dataplane.admission import decide as dk
from smartnic.dataplane.admission import ordered
from smartnic.dataplane.conntrack.table import ConntrackTable


class CompiledPolicy:
    def __init__(self, program: Program, host_id: str, conntrack: ConntrackTable) -> None:
        self.program = program
        self.tables = build_tables(program)
        self.eni_ids = list(program.enis)
        self.eni_index = {eni_id: i for i, eni_id in enumerate(self.eni_ids)}
        self.local_host = list(program.hosts).index(host_id)
        self.conntrack = conntrack
        local = {e.id for e in program.enis_on(host_id)}
        self.ct_eni_of = np.array([conntrack.eni_index(e) if e in local else -1
                                   for e in self.eni_ids], np.int64)
        self._scratch = np.zeros((5, 5), np.uint64)  # key rows and a probe for the kernels
        self._results = np.zeros((2, 2), np.int64)
        self._stop = np.full(1, -1, np.int64)

    def decide_vm(self, src: np.ndarray, meta: np.ndarray, addr: np.ndarray,
                  now_s: float) -> np.ndarray:
        """`src`: the sending ENI's index per packet (all on this host)."""
        out = np.zeros((src.shape[0], dk.OUT_COLUMNS), np.int64)
        ct, index, free, top = self._bulk(src.shape[0] * 2)
        dk.decide_vm(self.tables, self.local_host, self.ct_eni_of, ct, index, free, top,
                     self.conntrack.tcp_columns, src, meta, addr, now_s, out, self._scratch,
                     self._results)
        self.conntrack.settle()
        return out

    def decide_underlay(self, receiver: np.ndarray, sender: np.ndarray, sender_tag: np.ndarray,
                        vpc: np.ndarray, from_gateway: np.ndarray, meta: np.ndarray,
                        addr: np.ndarray, now_s: float) -> np.ndarray:
        out = np.zeros((receiver.shape[0], dk.OUT_COLUMNS), np.int64)
        ct, index, free, top = self._bulk(receiver.shape[0])
        dk.decide_underlay(self.tables, self.ct_eni_of, ct, index, free, top,
                           self.conntrack.tcp_columns, receiver, sender, sender_tag, vpc,
                           from_gateway, meta, addr, now_s, out, self._scratch, self._results)
        self.conntrack.settle()
        return out

    def decide_vm_in_order(self, eni: int, meta: np.ndarray, addr: np.ndarray, now_s: float,
                           out: np.ndarray) -> int:
        ct, index, free, top = self._bulk(meta.shape[0] * 2)
        ordered.decide_vm_in_order(self.tables, self.local_host, self.ct_eni_of, ct, index,
                                   free, top, self.conntrack.tcp_columns, eni, meta, addr,
                                   now_s, out, self._scratch, self._results, self._stop)
        self.conntrack.settle()
        return int(self._stop[0])

    def decide_underlay_in_order(self, receiver: np.ndarray, sender: np.ndarray,
                                 sender_tag: np.ndarray, vpc: np.ndarray,
                                 from_gateway: np.ndarray, meta: np.ndarray, addr: np.ndarray,
                                 now_s: float, out: np.ndarray) -> int:
        ct, index, free, top = self._bulk(meta.shape[0])
        ordered.decide_underlay_in_order(
            self.tables, self.ct_eni_of, ct, index, free, top, self.conntrack.tcp_columns,
            receiver, sender, sender_tag, vpc, from_gateway, meta, addr, now_s, out,
            self._scratch, self._results, self._stop)
        self.conntrack.settle()
        return int(self._stop[0])

    def _bulk(self, rows_needed: int) -> tuple:  # type: ignore[type-arg]
        self.conntrack.reserve(rows_needed)
        return self.conntrack.bulk()
