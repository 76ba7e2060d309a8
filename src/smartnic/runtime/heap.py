"""The engine process's heap: frozen once set up; full collections only when due.

Before its first packet an engine process has imported numba, compiled its Program and
loaded its kernels: about 125,000 objects that live as long as the process. CPython's
full collection walks every tracked object, and an engine under a SYN flood measured
full collections of 180-540 ms here (36-100 ms with that heap frozen), during which its
loop stops: a bystander's ping waited for each. So:
- `settle()` collects once, moves the survivors to the permanent generation (gc.freeze,
  which later collections skip) and turns off automatic full collections; young
  collections (generations 0 and 1) still run as usual, in well under a millisecond;
- `FullCollections.maybe(now_s, idle)` runs the full collection at a moment of the loop's
  choosing: when the engine has nothing to do and IDLE_EVERY_S has passed, and in any
  case every AT_LATEST_S, so cyclic garbage that outlived the young generations is still
  freed and memory stays bounded under a flood that never pauses.

Example:
    settle()                              # after the engine is built
    full = FullCollections(time.monotonic())
    full.maybe(time.monotonic(), idle=not handled)   # once per loop iteration
"""

from __future__ import annotations

import gc

IDLE_EVERY_S = 60.0
AT_LATEST_S = 600.0
NEVER = 1 << 30  # a generation-2 threshold no count reaches


def settle() -> int:
    """Collect, freeze the survivors, leave full collections to FullCollections; returns
    how many objects were frozen."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    return gc.get_freeze_count()


class FullCollections:
    def __init__(self, now_s: float) -> None:
        self.last_s = now_s

    def maybe(self, now_s: float, idle: bool) -> bool:
        """Run a full collection if one is due; True if it ran."""
        waited = now_s - self.last_s
        if waited < AT_LATEST_S and not (idle and waited >= IDLE_EVERY_S):
            return False
        gc.collect()
        self.last_s = now_s
        return True
