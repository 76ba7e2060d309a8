"""The engine process's main loop: wait for frames, process batches, serve control, tick.

Waits as its polling mode says (polling.py: `interrupt` sleeps in poll(2) on every port
and the control socket; `adaptive` spins for a while after traffic first; `busy` never
sleeps), processes up to MAX_BATCHES_PER_PASS rounds a pass, closes flow-log windows once
a second and delivers the records as S3-layout files. Python's full garbage collections run
here, when due (heap.py). SIGTERM/SIGINT end the loop cleanly: windows flushed, ports
closed, control socket removed.
"""

from __future__ import annotations

import select
import signal
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from smartnic.runtime.control import ControlServer
from smartnic.runtime.heap import FullCollections
from smartnic.runtime.polling import CONTROL_CHECK_S, Waiting
from smartnic.telemetry.flowlogs import FlowLogRecord
from smartnic.telemetry.flowlogs.delivery import deliver

POLL_TIMEOUT_MS = 20
MAX_BATCHES_PER_PASS = 64  # then answer the control socket even under full load
TICK_INTERVAL_S = 1.0


class PollableEngine(Protocol):
    def poll(self) -> int: ...

    def tick(self) -> list[FlowLogRecord]: ...

    def finish(self) -> list[FlowLogRecord]: ...

    def report(self, request: dict[str, Any]) -> dict[str, Any]: ...


class EngineLoop:
    def __init__(self, engine: PollableEngine, fds: list[int], control: ControlServer,
                 flowlog_dir: Path, account_id: str, region: str,
                 waiting: Waiting | None = None) -> None:
        self.engine = engine
        self.control = control
        self.flowlog_dir = flowlog_dir
        self.account_id, self.region = account_id, region
        self.waiting = waiting or Waiting()
        self.running = True
        self.passes = self.sleeps = 0  # what the mode did: tests and status read them
        self.poller = select.poll()
        for fd in [*fds, control.fileno()]:
            self.poller.register(fd, select.POLLIN)

    def stop(self, *_: object) -> None:
        self.running = False

    def run(self) -> None:
        if threading.current_thread() is threading.main_thread():  # else: stop() ends it
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        now = time.monotonic()
        next_tick, next_control, last_traffic = now + TICK_INTERVAL_S, now, now
        full_collections = FullCollections(now)
        while self.running:
            handled = self._serve_ports()
            now = time.monotonic()
            if handled:
                last_traffic = now
            elif self.waiting.should_sleep(now, last_traffic):
                self.sleeps += 1
                if self.poller.poll(POLL_TIMEOUT_MS):
                    self.control.serve_pending()
                now = time.monotonic()
            if now >= next_control:  # spinning modes never sleep on the control socket
                self.control.serve_pending()
                next_control = now + CONTROL_CHECK_S
            if now >= next_tick:
                self._deliver(self.engine.tick())
                next_tick = time.monotonic() + TICK_INTERVAL_S
            full_collections.maybe(now, idle=not handled)
        self._deliver(self.engine.finish())
        self.control.close()

    def _serve_ports(self) -> int:
        self.passes += 1
        handled = 0
        for _ in range(MAX_BATCHES_PER_PASS):
            frames = self.engine.poll()
            if not frames:
                break
            handled += frames
        return handled

    def _deliver(self, records: list[FlowLogRecord]) -> None:
        if records:
            deliver(records, self.flowlog_dir, self.account_id, self.region)
