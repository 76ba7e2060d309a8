"""Receive budgets by cost: how many frames a port may hand over in one round.

A round serves every port once (host_engine.HostEngine.poll). A frame budget alone does
not bound how long one port holds the engine: 256 flow-cache hits take a fraction of a
millisecond, 256 connection openings (each decided, tracked, logged) ten times more, and
every other port's packets wait behind them. So each port's budget is the number of its
frames that fit in `round_s` of engine time, from what its recent batches cost per frame
(an exponentially weighted mean), between `floor` and the port's frame ceiling: a port
that floods new connections is served in short batches, its neighbours' packets go on
every round, and a port of cheap traffic keeps its whole ceiling: round-robin with engine
time, not frames, as what each turn may spend.

Only batches of at least `floor` frames teach the mean (a lone frame's cost is mostly
the batch's fixed cost, and a port that sends little has no backlog to bound).

Example:
    budgets = PortBudgets()
    n = budgets.frames("eni-a", 256)          # 256 until the port's batches were costly
    budgets.spent("eni-a", 256, 0.006)        # 23 µs a frame
    budgets.frames("eni-a", 256)              # about 128: what fits in 3 ms
"""

from __future__ import annotations

from collections.abc import Hashable

# Engine time one port's batch may take: a bystander waits about this per busy port. At
# 1 ms, batches of cheap frames shrank under load and the real path lost 38% of its
# rate (measured); 3 ms leaves them whole and still cuts a flood's batches short.
ROUND_S = 0.003
FLOOR_FRAMES = 16  # a costly port still moves this many frames a round
WEIGHT = 0.25  # of the newest batch in the mean cost


class PortBudgets:
    def __init__(self, round_s: float = ROUND_S, floor: int = FLOOR_FRAMES, *,
                 initial_s: float = 0.0) -> None:
        """`initial_s`: the cost a frame of a port is taken to have before its first
        counted batch (0: the port gets its ceiling)."""
        self.round_s = round_s
        self.floor = floor
        self.initial_s = initial_s
        self._per_frame_s: dict[Hashable, float] = {}

    def frames(self, port: Hashable, ceiling: int) -> int:
        """The port's budget this round: at most `ceiling`, at least the floor (or the
        ceiling, when it is lower)."""
        cost = self._per_frame_s.get(port, self.initial_s)
        if cost <= 0.0:
            return ceiling
        return max(min(self.floor, ceiling), min(ceiling, int(self.round_s / cost)))

    def spent(self, port: Hashable, frames: int, seconds: float) -> None:
        """A batch of `frames` from `port` took `seconds` (received to sent)."""
        if frames < self.floor or seconds < 0.0:
            return
        cost = seconds / frames
        before = self._per_frame_s.get(port)
        self._per_frame_s[port] = cost if before is None else before + WEIGHT * (cost - before)

    def per_frame_s(self, port: Hashable) -> float | None:
        """The port's mean cost per frame, None before its first counted batch."""
        return self._per_frame_s.get(port)

    def forget(self, port: Hashable) -> None:
        self._per_frame_s.pop(port, None)
