"""Flow-log slots: what cache hits owe the flow-log collector, accumulated in numpy.

One slot per (installed action, LogPacket effect) whose ENI some flow log covers (an ENI
no flow log covers would only be ignored by the collector, so it gets no slot).

    acc    int64[L, 3]   packets, bytes (IP total length), OR of the FL-R8-reduced TCP flags
    order  int64[L]      slots in the order of their first packet since the last flush
                         (how many: a count the replay kernel keeps in its tally)
    meta   int64[L, 13]  what the observation says (M_* columns), numerically, for slots a
                         kernel allocated; M_PYTHON = 1: `effects[slot]` says it instead
    free   int64[L]      stack of unused slots, `top[0]` of them

Slots are taken and given back by Python (`allocate`, `release`) and by the install
kernel (`take_slot`, `give_slot`) from the same stack; `reserve` grows the arrays before
a kernel runs (kernels cannot) and replaces `arrays`: fetch them after it. `flush` turns
each touched slot into one `FlowObservation(packets=n, length_bytes=total)` at the time
the packets were processed, in first-packet order, so records (and which flow is first
to be skipped at `max_flows_per_window`) equal the per-packet observations of the slow
path. OR-ing reduced flags is exact: a reduced value reduces to itself.

Bounds: the stack is as long as the slots and holds each free slot once; `take_slot` on
an empty stack returns -1 (the caller then logs nothing; `reserve` makes it unreachable),
`give_slot` on a full one does nothing; `order` has a place per slot, and the replay
kernel lists a slot there only at its first packet since the last flush.

Example:
    slot = slots.allocate(log_effect)   # at install
    slots.flush(collector, now_s, count)   # after the kernel ran
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.compiler.cidr import format_ip
from smartnic.dataplane.actions import LogPacket
from smartnic.dataplane.kernel import kernel
from smartnic.telemetry.flowlogs import FlowLogCollector, FlowObservation

L_PACKETS, L_BYTES, L_FLAGS = 0, 1, 2
(M_ENI, M_DIRECTION, M_ACTION, M_PATH, M_VERSION, M_SRC_HI, M_SRC_LO, M_DST_HI, M_DST_LO,
 M_SPORT, M_DPORT, M_PROTO, M_PYTHON) = range(13)
META_COLUMNS = 13
DIRECTIONS = ("ingress", "egress")  # M_DIRECTION values INGRESS, EGRESS
INGRESS, EGRESS = 0, 1
ACTIONS = ("ACCEPT", "REJECT")  # M_ACTION values 0, 1
NO_PATH = -1  # M_PATH of a record without a traffic path
_WORD = (1 << 64) - 1


class LogArrays(NamedTuple):
    acc: np.ndarray
    order: np.ndarray
    meta: np.ndarray
    free: np.ndarray
    top: np.ndarray


def allocate_arrays(capacity: int) -> LogArrays:
    return LogArrays(np.zeros((capacity, 3), np.int64), np.zeros(capacity, np.int64),
                     np.zeros((capacity, META_COLUMNS), np.int64),
                     np.arange(capacity - 1, -1, -1, dtype=np.int64),
                     np.array([capacity], np.int64))


@kernel
def take_slot(free: np.ndarray, top: np.ndarray) -> int:
    """A free slot, or -1 when none is left."""
    if top[0] <= 0:
        return -1
    top[0] -= 1
    return int(free[top[0]])


@kernel
def give_slot(acc: np.ndarray, free: np.ndarray, top: np.ndarray, slot: int) -> None:
    """Back to the stack; only right after a flush (counts not flushed would be lost)."""
    acc[slot, L_PACKETS] = 0
    acc[slot, L_BYTES] = 0
    acc[slot, L_FLAGS] = 0
    if top[0] < free.shape[0]:  # full: every slot is free already, this one included
        free[top[0]] = slot
        top[0] += 1


class LogSlots:
    def __init__(self, capacity: int = 1024, eni_names: list[str] | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"flow-log slots need a positive capacity, got {capacity}")
        self.arrays = allocate_arrays(capacity)
        self.effects: list[LogPacket | None] = [None] * capacity
        self.eni_names = eni_names if eni_names is not None else []  # M_ENI -> ENI id

    def allocate(self, effect: LogPacket) -> int:
        self.reserve(1)
        slot = take_slot(self.arrays.free, self.arrays.top)
        self.effects[slot] = effect
        self.arrays.meta[slot, M_PYTHON] = 1
        return slot

    def release(self, slot: int) -> None:
        """Give a slot back; call only right after a flush (its counts would be lost)."""
        self.effects[slot] = None
        give_slot(self.arrays.acc, self.arrays.free, self.arrays.top, slot)

    def reserve(self, slots: int) -> None:
        """Make sure `slots` slots are free."""
        while self.arrays.top[0] < slots:
            self._grow()

    def flush(self, collector: FlowLogCollector, now_s: float, count: int) -> None:
        """Observe the first `count` slots of `order`, then zero them."""
        touched = self.arrays.order[:count].copy()
        rows = self.arrays.acc[touched].tolist()
        self.arrays.acc[touched] = 0
        metas = self.arrays.meta[touched].tolist()
        for slot, (packets, length_bytes, flags), meta in zip(touched.tolist(), rows, metas,
                                                              strict=True):
            effect = self.effects[slot] if meta[M_PYTHON] else self.effect_of(meta)
            assert effect is not None
            collector.observe(FlowObservation(
                eni_id=effect.eni_id, direction=effect.direction, action=effect.action,
                ip_version=effect.ip_version, pkt_src=effect.pkt_src, pkt_dst=effect.pkt_dst,
                sport=effect.sport, dport=effect.dport, protocol=effect.protocol,
                length_bytes=length_bytes, tcp_flags=flags if effect.protocol == 6 else 0,
                traffic_path=effect.traffic_path, time_s=now_s, packets=packets))

    def effect_of(self, meta: list[int]) -> LogPacket:
        """The LogPacket a kernel-allocated slot stands for (its M_* row)."""
        version = meta[M_VERSION]
        src = (meta[M_SRC_HI] & _WORD) << 64 | (meta[M_SRC_LO] & _WORD)
        dst = (meta[M_DST_HI] & _WORD) << 64 | (meta[M_DST_LO] & _WORD)
        return LogPacket(
            self.eni_names[meta[M_ENI]], DIRECTIONS[meta[M_DIRECTION]],  # type: ignore[arg-type]
            ACTIONS[meta[M_ACTION]],  # type: ignore[arg-type]
            None if meta[M_PATH] == NO_PATH else meta[M_PATH], version,
            format_ip(version, src), format_ip(version, dst), meta[M_SPORT], meta[M_DPORT],
            meta[M_PROTO])

    def _grow(self) -> None:
        old, size = self.arrays, self.arrays.acc.shape[0]
        grown = allocate_arrays(2 * size)
        grown.acc[:size], grown.order[:size], grown.meta[:size] = old.acc, old.order, old.meta
        spare = np.arange(2 * size - 1, size - 1, -1, dtype=np.int64)
        stacked = np.concatenate([spare, old.free[:old.top[0]]])
        grown.free[:stacked.shape[0]] = stacked
        grown.top[0] = stacked.shape[0]
        self.arrays = grown
        self.effects += [None] * size
