"""Per-ENI allowances: packet rates (ALW-R1, ORD-R4), new flows, the slow path's share.

Packet rates use a sliding one-second window: at most `limit` packets in any interval of
one second, so a burst of 1100 DNS queries within a second delivers exactly 1024
(ORD-R4). Excess packets are dropped and counted (`pps_allowance_exceeded`,
`linklocal_allowance_exceeded`).

New flows (`NewFlowAllowance`, decided by fastpath/gate.py for both engines) and the
slow path's share (`SlowPathShare`, host_batches.py) are token buckets that hold one
second's worth: a VM that never exceeds the rate never meets them, a flood is cut to the
rate at once. Defaults (per ENI, `limits.new_flows` overrides the first):
- DEFAULT_NEW_FLOWS_PER_S = 1,000 connection openings a second. A busy server opens a
  few hundred; each opening costs both engines its admission, rows, flow entries and, with
  a flow log, Python aggregation (about 90 µs a flow): a flooder held to 1,000/s takes
  about a tenth of a core on each host and its connection table (262,144 rows, SYN_SENT
  held 120 s) never fills. Servers that open more set `limits.new_flows`.
- DEFAULT_SLOWPATH_PPS = 2,000 packets a second through the Python stages, each about
  30-100 µs: one ENI can take at most a fifth of a core there, whatever it sends. Normal
  traffic reaches the stages only for what the kernels cannot decide (ARP, DNS and
  metadata — themselves limited to 1024/s, ORD-R4 —, fragments, drops that need
  their explanation).
- FLOW_LOG_FLOWS_PER_WINDOW = 100,000 flow-log records per ENI and aggregation window;
  flows beyond them are counted in one SKIPDATA record of the window (FL-R7), so a flood
  of new flows cannot grow the engine's memory without bound (a record held in memory
  costs about 650 B, so at most about 65 MB per ENI and flow log).
"""

from __future__ import annotations

from collections import deque

import numpy as np

LINKLOCAL_PPS = 1024  # per ENI, to Amazon DNS / IMDS / Time Sync (ORD-R4)
WINDOW_S = 1.0
DEFAULT_NEW_FLOWS_PER_S = 1_000
DEFAULT_SLOWPATH_PPS = 2_000
FLOW_LOG_FLOWS_PER_WINDOW = 100_000  # per ENI and aggregation window; the rest: SKIPDATA
TAGS = 1 << 16  # ENI tags are 16 bits (the overlay's sender identity)


class SlidingWindowLimiter:
    def __init__(self, limit_packets: int) -> None:
        self.limit_packets = limit_packets
        self._times: deque[float] = deque()

    def admit(self, now_s: float) -> bool:
        times = self._times
        while times and times[0] <= now_s - WINDOW_S:
            times.popleft()
        if len(times) >= self.limit_packets:
            return False
        times.append(now_s)
        return True


class Allowances:
    """The limiters of the ENIs one engine serves, keyed by (ENI, allowance kind)."""

    def __init__(self) -> None:
        self._limiters: dict[tuple[str, str], SlidingWindowLimiter] = {}

    def admit(self, eni_id: str, kind: str, limit_packets: int, now_s: float) -> bool:
        key = (eni_id, kind)
        limiter = self._limiters.get(key)
        if limiter is None or limiter.limit_packets != limit_packets:
            limiter = self._limiters[key] = SlidingWindowLimiter(limit_packets)
        return limiter.admit(now_s)


class NewFlowAllowance:
    """Each local ENI's new-flow token bucket, as arrays the gate kernel updates
    (fastpath/gate.py). Slots are kept per ENI id across Program changes; an ENI whose
    limit changes starts with a full bucket."""

    def __init__(self) -> None:
        self.slots: dict[str, int] = {}
        self.names: list[str] = []
        self.rate = np.zeros(0, np.float64)
        self.tokens = np.zeros(0, np.float64)
        self.last_s = np.zeros(0, np.float64)
        self.tag_slot = np.full(TAGS, -1, np.int64)

    def configure(self, limits: dict[str, tuple[int, int]], now_s: float) -> None:
        """`limits`: local ENI id -> (tag, new flows per second; 0: unlimited)."""
        for eni_id in limits:
            if eni_id not in self.slots:
                self.slots[eni_id] = len(self.names)
                self.names.append(eni_id)
        size = len(self.names)
        self.rate, self.tokens, self.last_s = (
            np.resize(a, size) for a in (self.rate, self.tokens, self.last_s))
        self.tag_slot[:] = -1
        for eni_id, slot in self.slots.items():
            tag, per_s = limits.get(eni_id, (-1, 0))
            if self.rate[slot] != per_s or eni_id not in limits:
                self.rate[slot] = per_s if eni_id in limits else 0
                self.tokens[slot], self.last_s[slot] = float(per_s), now_s
            if 0 <= tag < TAGS:
                self.tag_slot[tag] = slot


class SlowPathShare:
    """Each ENI's share of the Python stages (and one for frames of no known ENI): a token
    bucket of `per_s` packets a second, at most one second's worth banked."""

    def __init__(self, per_s: int) -> None:
        self.per_s = per_s
        self._buckets: dict[str, list[float]] = {}  # scope -> [tokens, last refill]

    def admit(self, scope: str, now_s: float) -> bool:
        bucket = self._buckets.get(scope)
        if bucket is None:
            bucket = self._buckets[scope] = [float(self.per_s), now_s]
        elapsed = now_s - bucket[1]
        if elapsed > 0:
            bucket[0] = min(float(self.per_s), bucket[0] + elapsed * self.per_s)
            bucket[1] = now_s
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        return False
