"""The supervisor: starts a topology's engines and restarts the ones that crash.

    python -m smartnic.runtime.supervisor --state STATE_FILE SPEC_FILE...

Started by `smartnic up` (recorded in the state file before it runs, see spawn.py), in
the root namespace, one per topology. Each engine runs as its child inside the host's
namespace (`ip netns exec`, which execs: the engine keeps the PID the supervisor
recorded), so an exit is seen at once: a pidfd per engine sits in the supervisor's
poll(2), next to a pipe its signal handlers wake it through. A crashed engine is started
again from the same spec (same ports, same control socket) after the backoff of
restarts.py; it warms up from the kernel cache `up` filled and starts with empty
connection tracking, as a rebooted host would. The supervisor probes each started engine's
control socket until it answers (`running`) and publishes a report (supervision.py)
after every change, with the time from the crash to the answer (`ready_after_s`).

SIGTERM/SIGINT: stop every engine (SIGTERM, SIGKILL after ENGINE_STOP_TIMEOUT_S), then
exit. SIGHUP: restart the engines it gave up on. If the supervisor itself dies, its
engines keep forwarding (nothing restarts them any more); `down` still finds them in the
state file.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartnic.net.linux.state import forget_process
from smartnic.runtime.control import query
from smartnic.runtime.restarts import MAX_RESTARTS, WINDOW_S, RestartBudget, crashed, exit_reason
from smartnic.runtime.spawn import spawn_recorded
from smartnic.runtime.spec import EngineSpec
from smartnic.runtime.supervision import write_report

ENGINE_STOP_TIMEOUT_S = 4.0
PROBE_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 0.5
IDLE_WAKEUP_S = 1.0


@dataclass
class Engine:
    role: str
    argv: list[str]
    control_socket: str
    log_path: Path
    budget: RestartBudget = field(default_factory=RestartBudget)
    pid: int = 0
    start_time: int | None = None
    pidfd: int = -1
    state: str = "starting"
    restarts: int = 0
    last_exit: str | None = None
    last_exit_at: str | None = None
    ready_after_s: float | None = None
    due: float = 0.0  # monotonic time of the next restart
    since: float = 0.0  # monotonic time readiness is measured from (the crash, or `up`)

    def report(self) -> dict[str, Any]:
        return {"pid": self.pid or None, "start_time": self.start_time, "state": self.state,
                "restarts": self.restarts, "last_exit": self.last_exit,
                "last_exit_at": self.last_exit_at, "ready_after_s": self.ready_after_s}


def engine_for(spec_path: Path) -> Engine:
    spec = EngineSpec.load(spec_path)
    argv = ["ip", "netns", "exec", spec.netns, sys.executable, "-m",
            "smartnic.runtime.engine_process", "--spec", str(spec_path)]
    return Engine(spec.host_id, argv, spec.control_socket, Path(spec.log_path))


class Supervisor:
    def __init__(self, state_path: Path, engines: list[Engine]) -> None:
        self.state_path = state_path
        self.directory = state_path.parent
        self.engines = engines
        self.stopping = False
        self.rearm = False
        self.wakeup_read, self.wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def run(self) -> None:
        self._handle_signals()
        for engine in self.engines:
            engine.since = time.monotonic()
            self._start(engine)
        self._publish()
        while not self.stopping:
            self._wait()
            changed = [self._reap(), self._restart_due(), self._probe(), self._rearm()]
            if any(changed):
                self._publish()
        self._stop_engines()
        self._publish()

    def _handle_signals(self) -> None:
        signal.set_wakeup_fd(self.wakeup_write)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._ask_rearm)

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def _ask_rearm(self, *_: object) -> None:
        self.rearm = True

    def _wait(self) -> None:
        poller = select.poll()
        poller.register(self.wakeup_read, select.POLLIN)
        for engine in self.engines:
            if engine.pidfd >= 0:
                poller.register(engine.pidfd, select.POLLIN)
        poller.poll(self._timeout_s() * 1000)
        try:
            while os.read(self.wakeup_read, 64):
                pass
        except BlockingIOError:
            pass

    def _timeout_s(self) -> float:
        if any(e.state == "starting" for e in self.engines):
            return PROBE_INTERVAL_S
        dues = [e.due for e in self.engines if e.state == "restarting"]
        return max(0.0, min([IDLE_WAKEUP_S, *(due - time.monotonic() for due in dues)]))

    def _reap(self) -> bool:
        changed = False
        for engine in self.engines:
            if engine.pid:
                pid, status = os.waitpid(engine.pid, os.WNOHANG)
                if pid:
                    self._exited(engine, status)
                    changed = True
        return changed

    def _exited(self, engine: Engine, status: int) -> None:
        os.close(engine.pidfd)
        self._forget(engine.pid)
        engine.pid, engine.pidfd, engine.start_time = 0, -1, None
        engine.last_exit = exit_reason(status)
        engine.last_exit_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        if self.stopping or not crashed(status):
            engine.state = "stopped"
            _log(f"{engine.role} exited ({engine.last_exit}); not restarted")
            return
        self._schedule_restart(engine)

    def _schedule_restart(self, engine: Engine) -> None:
        now = time.monotonic()
        delay_s = engine.budget.delay_s(now)
        if delay_s is None:
            engine.state = "gave_up"
            _log(f"{engine.role} exited ({engine.last_exit}): {MAX_RESTARTS} restarts within "
                 f"{WINDOW_S:g} s, not restarted again (SIGHUP to try again)")
            return
        engine.state, engine.due, engine.since = "restarting", now + delay_s, now
        _log(f"{engine.role} exited ({engine.last_exit}); restart in {delay_s:g} s")

    def _restart_due(self) -> bool:
        now = time.monotonic()
        due = [e for e in self.engines if e.state == "restarting" and e.due <= now]
        for engine in due:
            engine.budget.spend(now)
            engine.restarts += 1
            self._start(engine)
        return bool(due)

    def _start(self, engine: Engine) -> None:
        try:
            spawned = spawn_recorded(self.state_path, engine.role, engine.argv, engine.log_path)
        except FileNotFoundError:
            self.stopping = True  # the state file is gone: the topology is being taken down
            engine.state = "stopped"
            return
        except OSError as error:
            engine.last_exit = f"not started: {error}"
            self._schedule_restart(engine)
            return
        engine.pid, engine.start_time = spawned.pid, spawned.start_time
        engine.pidfd = os.pidfd_open(spawned.pid)
        engine.state = "starting"
        _log(f"{engine.role} started (pid {spawned.pid})")

    def _probe(self) -> bool:
        changed = False
        for engine in self.engines:
            if engine.state == "starting" and engine.pid and _answers(engine.control_socket):
                engine.state = "running"
                engine.ready_after_s = round(time.monotonic() - engine.since, 3)
                _log(f"{engine.role} answering {engine.ready_after_s} s after "
                     + ("its crash" if engine.restarts else "the start"))
                changed = True
        return changed

    def _rearm(self) -> bool:
        if not self.rearm:
            return False
        self.rearm = False
        now = time.monotonic()
        for engine in self.engines:
            if engine.state == "gave_up":
                engine.budget.refill()
                engine.state, engine.due, engine.since = "restarting", now, now
        return True

    def _stop_engines(self) -> None:
        for engine in self.engines:
            if engine.pid:
                os.kill(engine.pid, signal.SIGTERM)
        deadline = time.monotonic() + ENGINE_STOP_TIMEOUT_S
        while any(e.pid for e in self.engines) and time.monotonic() < deadline:
            self._reap()
            time.sleep(PROBE_INTERVAL_S)
        for engine in self.engines:
            if engine.pid:
                os.kill(engine.pid, signal.SIGKILL)
                self._exited(engine, os.waitpid(engine.pid, 0)[1])
            engine.state = "stopped"

    def _forget(self, pid: int) -> None:
        try:
            forget_process(self.state_path, pid)
        except FileNotFoundError:
            self.stopping = True

    def _publish(self) -> None:
        report = {"pid": os.getpid(),
                  "policy": {"max_restarts": MAX_RESTARTS, "window_s": WINDOW_S},
                  "engines": {e.role: e.report() for e in self.engines}}
        try:
            write_report(self.directory, report)
        except FileNotFoundError:
            self.stopping = True  # the topology's directory is gone
        except OSError as error:  # a full disk must not end the engines' supervision
            _log(f"cannot write the report: {error}")


def _answers(control_socket: str) -> bool:
    try:
        query(control_socket, {"op": "status"}, timeout_s=PROBE_TIMEOUT_S)
    except (OSError, ValueError):
        return False
    return True


def _log(message: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    print(f"{stamp} {message}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m smartnic.runtime.supervisor")
    parser.add_argument("--state", type=Path, required=True, help="the topology's state file")
    parser.add_argument("specs", type=Path, nargs="+", help="engine spec files")
    args = parser.parse_args(argv)
    Supervisor(args.state, [engine_for(path) for path in args.specs]).run()


if __name__ == "__main__":
    main()
