"""Polling modes (runtime/polling.py) and the engine loop that follows them: `busy` never
sleeps in poll(2), `adaptive` spins for its window after traffic and then sleeps,
`interrupt` sleeps whenever a pass found nothing; control requests are answered in every
mode."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smartnic.runtime.control import ControlServer, query
from smartnic.runtime.loop import EngineLoop
from smartnic.runtime.polling import EnginePlacement, Waiting, cpu_list, poll_mode
from tests.unit.runtime.fake_engines import QuietEngine


def test_each_mode_decides_when_to_sleep() -> None:
    assert Waiting("interrupt").should_sleep(10.0, 10.0)
    assert not Waiting("busy").should_sleep(1e6, 0.0)
    adaptive = Waiting("adaptive", spin_s=0.001)
    assert not adaptive.should_sleep(10.0005, 10.0)
    assert adaptive.should_sleep(10.002, 10.0)


def test_poll_mode_and_cpu_list_are_checked() -> None:
    assert poll_mode("busy") == "busy"
    with pytest.raises(ValueError, match="--poll 'fast'"):
        poll_mode("fast")
    assert cpu_list("0,2-3", {0, 1, 2, 3}) == [0, 2, 3]
    assert cpu_list("1,1,0-1", {0, 1}) == [1, 0]
    with pytest.raises(ValueError, match="CPU 4 is not available"):
        cpu_list("0-4", {0, 1, 2, 3})


def test_host_engines_take_one_cpu_each_round_robin() -> None:
    placement = EnginePlacement("busy", [0, 1])
    assert [placement.host_cpus(i) for i in range(3)] == [[0], [1], [0]]
    assert EnginePlacement().host_cpus(5) == []


class Bursts(QuietEngine):
    """An engine that hands over one frame on each of the first `frames` polls."""

    def __init__(self, frames: int) -> None:
        self.left = frames

    def poll(self) -> int:
        if self.left:
            self.left -= 1
            return 1
        return 0


def _run_for(mode: str, seconds: float, tmp_path: Path, frames: int = 0
             ) -> tuple[EngineLoop, dict[str, Any]]:
    """The loop in a thread for `seconds`, asked for its status half-way."""
    engine = Bursts(frames)
    control = ControlServer(tmp_path / f"{mode}.sock", engine.report)
    loop = EngineLoop(engine, [], control, tmp_path / "logs", "123456789012", "us-east-1",
                      Waiting(poll_mode(mode)))
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        time.sleep(seconds / 2)
        reply = query(control.path, {"op": "status"})
        time.sleep(seconds / 2)
    finally:
        loop.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    return loop, reply


def test_busy_never_sleeps_and_still_answers_control(tmp_path: Path) -> None:
    loop, reply = _run_for("busy", 0.3, tmp_path)
    assert reply == {"host": "host-1", "op": "status", "answered": True}
    assert loop.stats.sleeps == 0
    assert loop.stats.passes > 1000  # it kept polling the ports


def test_interrupt_sleeps_whenever_a_pass_finds_nothing(tmp_path: Path) -> None:
    loop, reply = _run_for("interrupt", 0.3, tmp_path)
    assert reply["answered"]
    assert loop.stats.sleeps == loop.stats.passes - 1 or loop.stats.sleeps == loop.stats.passes
    assert loop.stats.passes < 100  # 20 ms sleeps, not a spin


def test_adaptive_spins_after_traffic_then_sleeps(tmp_path: Path) -> None:
    loop, reply = _run_for("adaptive", 0.3, tmp_path, frames=1)
    assert reply["answered"]
    assert loop.stats.sleeps >= 1
    assert loop.stats.passes > loop.stats.sleeps + 10  # the spin after the frame, without sleeping


def test_a_port_wake_up_does_not_ask_the_control_socket(tmp_path: Path) -> None:
    """poll(2) woken by a port goes straight back to the ports; the control socket is
    asked when its own descriptor is readable, or every CONTROL_CHECK_S."""
    engine = Bursts(0)
    control = ControlServer(tmp_path / "c.sock", engine.report)
    asked = 0
    serve_pending = control.serve_pending

    def counting() -> bool:
        nonlocal asked
        asked += 1
        return serve_pending()

    control.serve_pending = counting  # type: ignore[method-assign]
    readable, writer = os.pipe()
    os.write(writer, b"x")  # a port that always looks ready: every poll(2) returns at once
    loop = EngineLoop(engine, [readable], control, tmp_path / "logs", "123456789012",
                      "us-east-1", Waiting("interrupt"))
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        time.sleep(0.2)
        assert query(control.path, {"op": "status"})["answered"]
    finally:
        loop.stop()
        thread.join(timeout=5)
        os.close(readable)
        os.close(writer)
    assert loop.stats.sleeps > 200  # woken by the port over and over
    assert asked < loop.stats.sleeps / 10
