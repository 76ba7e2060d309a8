"""The engine process's heap is frozen once set up: collections no longer walk it."""

from __future__ import annotations

import gc

from smartnic.runtime import heap


def test_settle_freezes_what_was_built_and_leaves_later_objects_collectable() -> None:
    built = [[n] for n in range(1000)]  # containers: tracked by the collector
    thresholds = gc.get_threshold()
    try:
        frozen = heap.settle()
        assert frozen >= len(built)
        walked = {id(obj) for obj in gc.get_objects()}
        assert not any(id(obj) in walked for obj in built)
        later: list[object] = []
        later.append(later)  # a cycle made after settling is still found and freed
        del later
        assert gc.collect() >= 1
        assert gc.get_threshold()[2] == heap.NEVER  # full collections left to the loop
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)  # the rest of this test process collects as usual
