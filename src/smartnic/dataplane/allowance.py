"""Per-ENI packet-rate allowances (ALW-R1, ORD-R4).

A sliding one-second window: at most `limit` packets in any interval of one second, so a
burst of 1100 DNS queries within a second delivers exactly 1024 (ORD-R4). Excess packets
are dropped and counted (`pps_allowance_exceeded`, `linklocal_allowance_exceeded`).
"""

from __future__ import annotations

from collections import deque

LINKLOCAL_PPS = 1024  # per ENI, to Amazon DNS / IMDS / Time Sync (ORD-R4)
WINDOW_S = 1.0


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
