"""Injected time. Conntrack timeouts, flow-log windows and rate limits read a Clock."""

from __future__ import annotations

import time
from typing import Protocol

# Virtual time 0 is this Unix time, so flow-log start/end fields look like real timestamps.
VIRTUAL_EPOCH_S = 1_767_225_600  # 2026-01-01T00:00:00Z


class Clock(Protocol):
    def now(self) -> float:
        """Seconds, on the Unix time scale."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class VirtualClock:
    """A clock that only moves when told to; scenario `at` values are offsets from its start."""

    def __init__(self, start_s: float = VIRTUAL_EPOCH_S) -> None:
        self.start_s = start_s
        self._now = start_s

    def now(self) -> float:
        return self._now

    def set_offset(self, offset_s: float) -> None:
        if offset_s + self.start_s < self._now:
            raise ValueError("virtual time cannot go backwards")
        self._now = self.start_s + offset_s

    def advance(self, seconds: float) -> None:
        self.set_offset(self._now - self.start_s + seconds)

    @property
    def offset_s(self) -> float:
        return self._now - self.start_s
