"""When the supervisor restarts an engine, and how an exit is named.

Restart on failure (as systemd's `Restart=on-failure`): an engine that died by a signal or
exited with a non-zero status is restarted; one that exited with status 0 was asked to
stop (SIGTERM or SIGINT: it flushed its flow logs) and stays stopped.

Crash loops do not spin: the first restart is immediate (a crashed host is back as soon
as its kernels are loaded), each further restart within the window waits twice as long
as the one before (0.25 s, 0.5 s, 1 s, 2 s); after `MAX_RESTARTS` restarts within
`WINDOW_S` seconds the next crash is final: the engine is left stopped and `status` says
so, until the supervisor receives SIGHUP. An engine that crashes at start-up (a broken
config, a missing interface) thus gives up after about 5 starts, in well under a minute.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

MAX_RESTARTS = 5
WINDOW_S = 60.0
FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 4.0


def exit_reason(wait_status: int) -> str:
    """`exit <status>` or the signal's name (`SIGSEGV`), from a waitpid status."""
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        try:
            return signal.Signals(number).name
        except ValueError:
            return f"signal {number}"
    return f"exit {os.waitstatus_to_exitcode(wait_status)}"


def crashed(wait_status: int) -> bool:
    return not (os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) == 0)


@dataclass
class RestartBudget:
    """The restarts of one engine within the sliding window, and the next delay."""

    max_restarts: int = MAX_RESTARTS
    window_s: float = WINDOW_S
    recent: list[float] = field(default_factory=list)  # monotonic times of recent restarts

    def delay_s(self, now: float) -> float | None:
        """Seconds to wait before the next restart, or None: no more restarts."""
        self.recent = [t for t in self.recent if now - t < self.window_s]
        if len(self.recent) >= self.max_restarts:
            return None
        if not self.recent:
            return 0.0
        return min(FIRST_BACKOFF_S * 2 ** (len(self.recent) - 1), MAX_BACKOFF_S)

    def spend(self, now: float) -> None:
        self.recent.append(now)

    def refill(self) -> None:
        self.recent.clear()
