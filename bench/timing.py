"""Timing helpers of the in-memory measurements.

`rate(run, seconds, repeats)`: call `run()` (one pass, returning how many packets or
connections it handled) until `seconds` have passed, `repeats` times after one warm-up
pass; returns the median rate and every sample, so a report can show the spread (the
machine is shared: medians resist a neighbour's burst). `one_core()`: pin this process
to one CPU for the duration, and restore its affinity after.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.netns import datapath_cpus


@dataclass(frozen=True)
class Rate:
    per_s: float  # median of the samples
    samples: tuple[float, ...]
    handled: int  # handled by one pass

    @property
    def spread(self) -> float:
        """(max - min) / median of the samples."""
        return (max(self.samples) - min(self.samples)) / self.per_s if self.per_s else 0.0


def rate(run: Callable[[], int], seconds: float, repeats: int) -> Rate:
    handled = run()  # warm-up: JIT compilation, caches
    samples = []
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while True:
            count += run()
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        samples.append(count / elapsed)
    return Rate(statistics.median(samples), tuple(samples), handled)


@contextmanager
def one_core() -> Iterator[int]:
    """Run the block on one CPU (a datapath CPU, away from where generators are pinned)."""
    before = os.sched_getaffinity(0)
    cpu = datapath_cpus()[0]
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)
