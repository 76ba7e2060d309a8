"""Each batch classified once and gated: the engine's first step, with or without the
fast path (the kernel and the rules: gate.py).

`Gate.load(program, host_id, own_ip, now_s)` takes the local ENIs (MAC, tag, new-flow
limit: `limits.new_flows` or DEFAULT_NEW_FLOWS_PER_S); `Gate.run(side, eni_id, frames,
now_s)` returns the batch, its classified columns (which the fast path then uses instead
of classifying again), each packet's slot and how many openings were refused;
`take_refused()` hands the refusals per ENI to the engine's counters.

Example:
    gated = engine.gate.run(VM_SIDE, "eni-a", frames, now_s)
    dropped = gated.info[I_STATUS] == DROPPED
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView
from smartnic.dataplane.allowance import DEFAULT_NEW_FLOWS_PER_S, NewFlowAllowance
from smartnic.dataplane.fastpath.batch import BatchBuilder, PacketBatch
from smartnic.dataplane.fastpath.classify import Admission, classify_underlay, classify_vm
from smartnic.dataplane.fastpath.columns import new_info
from smartnic.dataplane.fastpath.flowkey import ROW_WORDS, VM_SIDE
from smartnic.dataplane.fastpath.gate import gate
from smartnic.dataplane.fastpath.program_view import admission


class Gated(NamedTuple):
    """A batch classified and gated: columns for the fast path, each packet's slot."""

    batch: PacketBatch
    keys: np.ndarray
    info: np.ndarray
    slot_of: np.ndarray
    refused: int  # packets the new-flow allowance dropped


class Gate:
    """Classifies each batch once (the columns go on to the fast path) and applies the
    new-flow allowance; the engine counts what it refused (`refused_by_slot`)."""

    def __init__(self) -> None:
        self.allowance = NewFlowAllowance()
        self.vm: dict[str, tuple[int, int]] = {}  # local ENI id -> (MAC as int, tag)
        self.admission: Admission | None = None
        self.refused = np.zeros(0, np.int64)
        self._keys = np.zeros((0, ROW_WORDS), np.uint64)
        self._info = new_info(0)
        self._slot_of = np.zeros(0, np.int64)
        self._batches = BatchBuilder()
        self._no_limit = np.zeros(0)

    def load(self, program: Program, host_id: str, own_ip: int, now_s: float) -> None:
        local = program.enis_on(host_id)
        self.vm = {e.id: (int.from_bytes(e.mac, "big"), e.tag) for e in local}
        self.admission = admission(program, host_id, own_ip)
        self.allowance.configure({e.id: (e.tag, new_flows_per_s(e)) for e in local}, now_s)
        self.refused = np.resize(self.refused, len(self.allowance.names))

    def run(self, side: int, eni_id: str | None, frames: list[bytes] | PacketBatch,
            now_s: float, *, charge: bool = True) -> Gated:
        """The batch (valid until the next `run`: its arrays are reused; a PacketBatch is
        taken as it is) and its columns. `charge=False`: openings whose allowance was
        taken before (held back: opening_backlog.py) pass without taking it again."""
        batch = frames if isinstance(frames, PacketBatch) else self._batches.build(frames)
        keys, info, slot_of = self._columns(len(frames))
        if side == VM_SIDE:
            mac, tag = self.vm.get(eni_id or "", (-1, 0))
            classify_vm(batch.buf, batch.start, batch.length, mac, tag, keys, info)
        else:
            assert self.admission is not None
            classify_underlay(batch.buf, batch.start, batch.length, self.admission, keys, info)
        allowance = self.allowance
        slot = allowance.slots.get(eni_id or "", -1) if side == VM_SIDE else -1
        rate = allowance.rate if charge else self._unlimited(allowance.rate)
        refused = gate(side, slot, now_s, keys, info, allowance.tag_slot, rate,
                       allowance.tokens, allowance.last_s, slot_of, self.refused)
        return Gated(batch, keys, info, slot_of, int(refused))

    def take_refused(self) -> list[tuple[str, int]]:
        """(ENI id, packets refused) since the last call."""
        counts = [(self.allowance.names[s], int(self.refused[s]))
                  for s in np.flatnonzero(self.refused).tolist()]
        self.refused[:] = 0
        return counts

    def _unlimited(self, rate: np.ndarray) -> np.ndarray:
        """A rate of 0 for every slot: the gate kernel then takes no token."""
        if self._no_limit.shape != rate.shape:
            self._no_limit = np.zeros_like(rate)
        return self._no_limit

    def _columns(self, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns of exactly `count` packets (kept while batch sizes repeat)."""
        if self._keys.shape[0] != count:
            self._keys = np.empty((count, ROW_WORDS), np.uint64)
            self._info = new_info(count)
            self._slot_of = np.empty(count, np.int64)
        return self._keys, self._info, self._slot_of


def new_flows_per_s(eni: EniView) -> int:
    limit = eni.new_flow_limit
    return DEFAULT_NEW_FLOWS_PER_S if limit is None else limit
