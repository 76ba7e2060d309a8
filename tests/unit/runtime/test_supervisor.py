"""The supervisor with stand-in engines (no root): restarts, backoff, records, teardown.

The stand-in engine is a small Python process that serves the real control socket and
exits 0 on SIGTERM, as an engine does. The supervisor is started exactly as `up` starts
it (`spawn_recorded`, recorded before it runs), with engines whose argv is the stand-in
instead of `ip netns exec … smartnic engine`; everything is ended through `teardown`,
which is what `down` runs. Real engines in namespaces: tests/netns/test_supervision.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smartnic.net.linux.cleanup import teardown
from smartnic.net.linux.state import create_state, read_state
from smartnic.process_records import still_ours
from smartnic.runtime.restarts import MAX_RESTARTS, RestartBudget, crashed, exit_reason
from smartnic.runtime.spawn import spawn_recorded
from smartnic.runtime.supervision import read_report

WAIT_S = 20.0
STAND_IN = """
import select, signal, sys
from smartnic.runtime.control import ControlServer
server = ControlServer(sys.argv[1], lambda request: {"ok": True})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    select.select([server.fileno()], [], [])
    server.serve_pending()
"""
CRASHING = "import sys; sys.exit(1)  # smartnic stand-in that fails at start-up"
SUPERVISOR = """
import sys
from pathlib import Path
from smartnic.runtime.supervisor import Engine, Supervisor
state, *engines = sys.argv[1:]
Supervisor(Path(state), [Engine(f"host-{n}", [sys.executable, "-c", code, sock], sock,
                                Path(sock + ".log"))
                         for n, (code, sock) in enumerate(zip(engines[::2], engines[1::2]), 1)]
           ).run()
"""


@dataclass
class Supervised:
    state_path: Path
    pid: int

    def report(self) -> dict[str, Any]:
        return (read_report(self.state_path.parent) or {}).get("engines", {})

    def engine(self, role: str) -> dict[str, Any]:
        return dict(self.report().get(role, {}))

    def wait_for(self, check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not check():
            assert time.monotonic() < deadline, f"not {what} after {WAIT_S} s: {self.report()}"
            time.sleep(0.05)

    def wait_running(self, role: str, restarts: int) -> dict[str, Any]:
        self.wait_for(lambda: self.engine(role).get("state") == "running"
                      and self.engine(role)["restarts"] == restarts, f"{role} running")
        return self.engine(role)

    def recorded(self) -> list[dict[str, Any]]:
        return list((read_state(self.state_path) or {}).get("processes", []))


@pytest.fixture()
def supervise(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(*codes: str) -> Supervised:
        prefix = "s" + secrets.token_hex(3)  # teardown sweeps namespaces named after it
        state_path = tmp_path / prefix / "state.json"
        create_state(state_path, prefix, None)
        sockets = [str(tmp_path / f"e{n}.sock") for n in range(len(codes))]
        argv = [sys.executable, "-c", SUPERVISOR, str(state_path),
                *[item for pair in zip(codes, sockets, strict=True) for item in pair]]
        spawned = spawn_recorded(state_path, "supervisor", argv, tmp_path / "sup.log",
                                 kind="supervisor")
        started.append(Supervised(state_path, spawned.pid))
        return started[-1]

    yield start
    for supervised in started:
        teardown(supervised.state_path, timeout_s=2.0)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(supervised.pid, 0)  # `teardown` ended it; collect its exit status


def _kill_and_wait_restart(supervised: Supervised, number: signal.Signals,
                           restarts: int) -> dict[str, Any]:
    before = supervised.engine("host-1")
    os.kill(before["pid"], number)
    after = supervised.wait_running("host-1", restarts)
    assert after["pid"] != before["pid"]
    return after


def test_crashed_engines_restart_with_the_reason(supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(STAND_IN, STAND_IN)
    supervised.wait_running("host-1", 0)
    other = supervised.wait_running("host-2", 0)
    after = _kill_and_wait_restart(supervised, signal.SIGKILL, 1)
    assert after["last_exit"] == "SIGKILL" and after["ready_after_s"] is not None
    after = _kill_and_wait_restart(supervised, signal.SIGSEGV, 2)
    assert after["last_exit"] == "SIGSEGV"
    assert supervised.engine("host-2")["pid"] == other["pid"]  # the other engine untouched
    recorded = {p["pid"] for p in supervised.recorded()}
    assert recorded == {supervised.pid, after["pid"], other["pid"]}  # the reaped are forgotten


def test_an_engine_that_exits_cleanly_stays_stopped(supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(STAND_IN)
    engine = supervised.wait_running("host-1", 0)
    os.kill(engine["pid"], signal.SIGTERM)
    supervised.wait_for(lambda: supervised.engine("host-1")["state"] == "stopped", "stopped")
    time.sleep(0.5)
    assert supervised.engine("host-1")["restarts"] == 0
    assert supervised.engine("host-1")["last_exit"] == "exit 0"


def test_a_crash_loop_gives_up_then_sighup_tries_again(
        supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(CRASHING, STAND_IN)
    supervised.wait_for(lambda: supervised.engine("host-1").get("state") == "gave_up", "gave up")
    engine = supervised.engine("host-1")
    assert engine["restarts"] == MAX_RESTARTS and engine["last_exit"] == "exit 1"
    time.sleep(0.5)
    assert supervised.engine("host-1")["restarts"] == MAX_RESTARTS  # no more attempts
    assert supervised.engine("host-2")["state"] == "running"
    os.kill(supervised.pid, signal.SIGHUP)
    supervised.wait_for(lambda: supervised.engine("host-1")["restarts"] > MAX_RESTARTS,
                        "restarted after SIGHUP")


def test_teardown_ends_the_supervisor_first_then_everything_recorded(
        supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(STAND_IN, STAND_IN)
    supervised.wait_running("host-1", 0)
    supervised.wait_running("host-2", 0)
    _kill_and_wait_restart(supervised, signal.SIGKILL, 1)
    processes = supervised.recorded()
    removed = teardown(supervised.state_path, timeout_s=2.0)
    assert f"pid:{supervised.pid} (supervisor)" in removed
    assert not any(still_ours(p["pid"], p["start_time"]) for p in processes)
    assert not supervised.state_path.exists()


def test_teardown_after_the_supervisor_crashed(supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(STAND_IN, STAND_IN)
    engines = [supervised.wait_running(role, 0) for role in ("host-1", "host-2")]
    os.kill(supervised.pid, signal.SIGKILL)
    os.waitpid(supervised.pid, 0)
    time.sleep(0.3)
    assert all(still_ours(e["pid"], e["start_time"]) for e in engines)  # still forwarding
    removed = teardown(supervised.state_path, timeout_s=2.0)
    assert all(f"pid:{e['pid']} (host-{n})" in removed for n, e in enumerate(engines, 1))
    assert not any(still_ours(e["pid"], e["start_time"]) for e in engines)


def test_a_process_is_recorded_before_it_runs(tmp_path: Path) -> None:
    state_path = tmp_path / "t" / "state.json"
    create_state(state_path, "t", None)
    check = ("import json, os, sys; state = json.load(open(sys.argv[1]));"
             "sys.exit(0 if any(p['pid'] == os.getpid() for p in state['processes']) else 3)")
    spawned = spawn_recorded(state_path, "probe", [sys.executable, "-c", check, str(state_path)],
                             tmp_path / "probe.log")
    assert os.waitpid(spawned.pid, 0)[1] == 0


def test_nothing_runs_when_the_record_cannot_be_written(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(FileNotFoundError):
        spawn_recorded(tmp_path / "missing" / "state.json", "probe",
                       [sys.executable, "-c", f"open({str(marker)!r}, 'w')"], tmp_path / "p.log")
    time.sleep(0.2)
    assert not marker.exists()


def test_exit_reasons_and_the_restart_budget() -> None:
    assert exit_reason(signal.SIGSEGV) == "SIGSEGV" and crashed(signal.SIGSEGV)
    assert exit_reason(1 << 8) == "exit 1" and crashed(1 << 8)
    assert exit_reason(0) == "exit 0" and not crashed(0)
    budget = RestartBudget(max_restarts=3, window_s=10.0)
    delays = []
    for now in (0.0, 1.0, 2.0):
        delays.append(budget.delay_s(now))
        budget.spend(now)
    assert delays == [0.0, 0.25, 0.5]
    assert budget.delay_s(3.0) is None  # three restarts within ten seconds: give up
    assert budget.delay_s(10.5) == 0.5  # the first fell out of the window: two left
    assert budget.delay_s(12.5) == 0.0  # all out of the window: immediate again


def test_the_report_is_json(supervise: Callable[..., Supervised]) -> None:
    supervised = supervise(STAND_IN)
    supervised.wait_running("host-1", 0)
    report = json.loads((supervised.state_path.parent / "supervisor.json").read_text())
    assert report["pid"] == supervised.pid and report["policy"]["max_restarts"] == MAX_RESTARTS
