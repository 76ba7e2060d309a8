"""Connection openings held back from a batch and served a few per round, per ENI.

A port's frames wait in one FIFO ring. When a burst of connection openings (TCP SYNs the
new-flow allowance admitted) shares it with the packets of established flows, those
packets wait behind every opening's admission (the policy decision, connection-tracking
rows, flow entries, a flow-log record: tens of microseconds each on a real port). So the
engine lets through only the openings of one ENI that fit a round (`quota`, from what
openings cost: port_budget.py) and holds the rest here, per (port, ENI slot), in arrival
order; the rest of the batch goes on at once. Each later round first serves up to
`quota` held openings of every slot of that port (their allowance was taken when
they arrived: they are not gated twice), then the port's new frames; a slot that still
holds openings lets none of a new batch's openings past it, so openings of one ENI keep
their order. At most `capacity` openings wait per slot; one more is dropped and counted
(`opening_backlog_full`, stage `allowance_exceeded`, reason `opening_backlog`).

An opening is what the new-flow gate counts as one (fastpath/gate.py: an accepted TCP
SYN without ACK), with its flag values. Only openings are held: packets of established
flows, answers and everything the fast path punts go on in order, and an opening is
the first packet of its flow, so no flow's packets are reordered (a retransmitted SYN
queues behind the first).

Example:
    backlog = OpeningBacklog()
    overflow = backlog.hold(None, gated, quota=16)     # {slot: openings dropped}
    frames = backlog.take(None, quota=16)              # the next round's share
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

import numpy as np

from smartnic.dataplane.batch_gate import Gated
from smartnic.dataplane.fastpath.columns import I_PROTO, I_STATUS, I_TCP_FLAGS
from smartnic.dataplane.fastpath.gate import TCP_ACK, TCP_SYN
from smartnic.dataplane.fastpath.parse import DROPPED, OK, PROTO_TCP

CAPACITY_PER_SLOT = 4096  # openings waiting per ENI and port (about one RX ring's worth)


def openings(gated: Gated) -> np.ndarray:
    """Indexes of the batch's admitted connection openings (TCP SYN without ACK)."""
    info = gated.info
    flags = info[I_TCP_FLAGS]
    return np.flatnonzero((info[I_STATUS] == OK) & (info[I_PROTO] == PROTO_TCP)
                          & ((flags & TCP_SYN) != 0) & ((flags & TCP_ACK) == 0))


class OpeningBacklog:
    def __init__(self, capacity: int = CAPACITY_PER_SLOT) -> None:
        self.capacity = capacity
        self._held: dict[Hashable, dict[int, deque[bytes]]] = {}

    def hold(self, port: Hashable, gated: Gated, quota: int) -> dict[int, int]:
        """Keep at most `quota` openings per slot in the batch (none of a slot that still
        holds some); the rest are marked DROPPED in `gated` (the fast path skips them,
        uncounted) and held. Returns, per slot, the openings dropped for want of room."""
        found = openings(gated)
        if found.size == 0:
            return {}
        held = self._held.setdefault(port, {})
        overflow: dict[int, int] = {}
        passed: dict[int, int] = {}
        for index, slot in zip(found.tolist(), gated.slot_of[found].tolist(), strict=True):
            if slot < 0:  # no local ENI: the fast path drops it, at its place
                continue
            queue = held.get(slot)
            if not queue and passed.get(slot, 0) < quota:
                passed[slot] = passed.get(slot, 0) + 1
                continue
            gated.info[I_STATUS, index] = DROPPED
            if queue is None:
                queue = held[slot] = deque()
            if len(queue) >= self.capacity:
                overflow[slot] = overflow.get(slot, 0) + 1
            else:
                queue.append(gated.batch.frame(index))
        return overflow

    def take(self, port: Hashable, quota: int) -> list[bytes]:
        """Up to `quota` held openings of every slot of `port`, slot after slot."""
        held = self._held.get(port)
        if not held:
            return []
        taken: list[bytes] = []
        for slot in list(held):
            queue = held[slot]
            for _ in range(min(quota, len(queue))):
                taken.append(queue.popleft())
            if not queue:
                del held[slot]
        return taken

    def holds(self, port: Hashable) -> bool:
        """True while openings of `port` wait."""
        return bool(self._held.get(port))

    def waiting(self) -> int:
        """Openings held, all ports together."""
        return sum(len(q) for held in self._held.values() for q in held.values())

    def forget(self, port: Hashable) -> None:
        self._held.pop(port, None)
