"""Flow-log slots: what cache hits owe the flow-log collector, accumulated in numpy.

One slot per (installed action, LogPacket effect) whose ENI some flow log covers (an ENI
no flow log covers would only be ignored by the collector, so it gets no slot).

    acc    int64[L, 3]  packets, bytes (IP total length), OR of the FL-R8-reduced TCP flags
    order  int64[L]     slots in the order of their first packet since the last flush
                        (how many: a count the replay kernel keeps in its tally)

`flush` turns each touched slot into one `FlowObservation(packets=n, length_bytes=total)`
at the time the packets were processed, in first-packet order, so records (and which flow
is first to be skipped at `max_flows_per_window`) equal the per-packet observations of
the slow path. OR-ing reduced flags is exact: a reduced value reduces to itself.

Example:
    slot = slots.allocate(log_effect)   # at install
    slots.flush(collector, now_s, count)   # after the kernel ran
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from smartnic.dataplane.actions import LogPacket
from smartnic.telemetry.flowlogs import FlowLogCollector, FlowObservation

L_PACKETS, L_BYTES, L_FLAGS = 0, 1, 2


class LogArrays(NamedTuple):
    acc: np.ndarray
    order: np.ndarray


class LogSlots:
    def __init__(self, capacity: int = 1024) -> None:
        self.arrays = LogArrays(np.zeros((capacity, 3), np.int64), np.zeros(capacity, np.int64))
        self.effects: list[LogPacket | None] = [None] * capacity
        self._free = list(range(capacity - 1, -1, -1))

    def allocate(self, effect: LogPacket) -> int:
        if not self._free:
            self._grow()
        slot = self._free.pop()
        self.effects[slot] = effect
        return slot

    def release(self, slot: int) -> None:
        """Give a slot back; call only right after a flush (its counts would be lost)."""
        self.effects[slot] = None
        self.arrays.acc[slot] = 0
        self._free.append(slot)

    def flush(self, collector: FlowLogCollector, now_s: float, count: int) -> None:
        """Observe the first `count` slots of `order`, then zero them."""
        touched = self.arrays.order[:count].copy()
        rows = self.arrays.acc[touched].tolist()
        self.arrays.acc[touched] = 0
        for slot, (packets, length_bytes, flags) in zip(touched.tolist(), rows, strict=True):
            effect = self.effects[slot]
            assert effect is not None
            collector.observe(FlowObservation(
                eni_id=effect.eni_id, direction=effect.direction, action=effect.action,
                ip_version=effect.ip_version, pkt_src=effect.pkt_src, pkt_dst=effect.pkt_dst,
                sport=effect.sport, dport=effect.dport, protocol=effect.protocol,
                length_bytes=length_bytes, tcp_flags=flags if effect.protocol == 6 else 0,
                traffic_path=effect.traffic_path, time_s=now_s, packets=packets))

    def _grow(self) -> None:
        size = self.arrays.acc.shape[0]
        acc = np.zeros((2 * size, 3), np.int64)
        order = np.zeros(2 * size, np.int64)
        acc[:size], order[:size] = self.arrays.acc, self.arrays.order
        self.arrays = LogArrays(acc, order)
        self.effects += [None] * size
        self._free = list(range(2 * size - 1, size - 1, -1))
