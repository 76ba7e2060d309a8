"""How long each phase held the engine loop (runtime/loop_stats.py), as `smartnic counters`
reports it under "loop": a slow batch is counted against its thresholds and named as the
longest; other phases stay apart; the counters reply carries the loop's figures."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from smartnic.runtime.control import ControlServer, query
from smartnic.runtime.loop import EngineLoop
from smartnic.runtime.loop_stats import LoopStats
from smartnic.runtime.polling import Waiting
from tests.unit.runtime.fake_engines import QuietEngine


def test_holds_are_counted_per_phase_against_each_threshold() -> None:
    stats = LoopStats()
    stats.held("ports", 1.0, 1.0005)
    stats.held("ports", 2.0, 2.020)
    stats.held("tick", 3.0, 3.150)
    held = stats.report()["held"]
    assert held["ports"]["times"] == 2
    assert abs(held["ports"]["longest_ms"] - 20.0) < 1e-6
    assert (held["ports"]["over_1ms"], held["ports"]["over_10ms"],
            held["ports"]["over_100ms"]) == (1, 1, 0)
    assert (held["tick"]["over_10ms"], held["tick"]["over_100ms"]) == (1, 1)
    assert held["control"]["times"] == held["collect"]["times"] == 0


class SlowBatches(QuietEngine):
    """An engine whose first `slow` polls each take 15 ms and hand over one frame."""

    def __init__(self, slow: int) -> None:
        self.left = slow

    def poll(self) -> int:
        if not self.left:
            return 0
        self.left -= 1
        time.sleep(0.015)
        return 1


def test_the_counters_reply_reports_the_loop(tmp_path: Path) -> None:
    engine = SlowBatches(slow=3)
    control = ControlServer(tmp_path / "engine.sock", engine.report)
    loop = EngineLoop(engine, [], control, tmp_path / "logs", "123456789012", "us-east-1",
                      Waiting("interrupt"))
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        time.sleep(0.2)
        counters = query(control.path, {"op": "counters"})
        status = query(control.path, {"op": "status"})
    finally:
        loop.stop()
        thread.join(timeout=5)
    assert counters["host"] == "host-1"
    ports = counters["loop"]["held"]["ports"]
    assert ports["times"] == 3 and ports["over_10ms"] == 3 and ports["longest_ms"] >= 15
    assert counters["loop"]["sleeps"] >= 1
    assert "loop" not in status
