"""The engine process's main loop: wait for frames, process batches, serve control, tick.

Waits as its polling mode says (polling.py: `interrupt` sleeps in poll(2) on every port
and the control socket; `adaptive` spins for a while after traffic first; `busy` never
sleeps), processes up to MAX_BATCHES_PER_PASS rounds a pass, closes flow-log windows once
a second and delivers the records as S3-layout files a slice per pass (flowlog_outbox.py;
the loop does not sleep while records wait). Python's full garbage collections run here,
when due (heap.py). SIGTERM/SIGINT end the loop cleanly: windows flushed, ports
closed, control socket removed. How long each phase held the loop is answered under
"loop" in the counters reply (loop_stats.py).
"""

from __future__ import annotations

import select
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from smartnic.runtime.control import ControlServer
from smartnic.runtime.flowlog_outbox import SLICE_S, FlowLogOutbox
from smartnic.runtime.heap import FullCollections
from smartnic.runtime.loop_stats import LoopStats
from smartnic.runtime.polling import CONTROL_CHECK_S, Waiting
from smartnic.telemetry.flowlogs import FlowLogRecord

POLL_TIMEOUT_MS = 20
MAX_BATCHES_PER_PASS = 64  # then answer the control socket even under full load
TICK_INTERVAL_S = 1.0


class PollableEngine(Protocol):
    def poll(self) -> int: ...

    def tick(self) -> Iterable[FlowLogRecord]: ...

    def finish(self) -> Iterable[FlowLogRecord]: ...

    def report(self, request: dict[str, Any]) -> dict[str, Any]: ...


class EngineLoop:
    def __init__(self, engine: PollableEngine, fds: list[int], control: ControlServer,
                 flowlog_dir: Path, account_id: str, region: str,
                 waiting: Waiting | None = None) -> None:
        self.engine = engine
        self.control = control
        self.outbox = FlowLogOutbox(flowlog_dir, account_id, region)
        self.waiting = waiting or Waiting()
        self.running = True
        self.stats = LoopStats()
        self._answer = control.handler
        control.handler = self._report
        self.poller = select.poll()
        self._control_fd = control.fileno()
        for fd in [*fds, self._control_fd]:
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
            elif self.waiting.should_sleep(now, last_traffic) and not self.outbox.pending:
                self.stats.sleeps += 1
                # a frame's wake-up goes straight to the ports: no accept(2) for nothing
                if any(fd == self._control_fd for fd, _ in self.poller.poll(POLL_TIMEOUT_MS)):
                    self._serve_control()
                now = time.monotonic()
            if now >= next_control:  # spinning modes never sleep on the control socket
                self._serve_control()
                next_control = now + CONTROL_CHECK_S
            if now >= next_tick:
                started = time.perf_counter()
                self.outbox.add(self.engine.tick())
                self.stats.held("tick", started, time.perf_counter())
                next_tick = time.monotonic() + TICK_INTERVAL_S
            if self.outbox.pending:
                started = time.perf_counter()
                self.outbox.work(SLICE_S)
                self.stats.held("flowlogs", started, time.perf_counter())
            started = time.perf_counter()
            if full_collections.maybe(now, idle=not handled):
                self.stats.held("collect", started, time.perf_counter())
        self.outbox.add(self.engine.finish())
        self.outbox.drain()
        self.control.close()

    def _serve_ports(self) -> int:
        self.stats.passes += 1
        handled = 0
        for _ in range(MAX_BATCHES_PER_PASS):
            started = time.perf_counter()
            frames = self.engine.poll()
            if not frames:
                break
            self.stats.held("ports", started, time.perf_counter())
            handled += frames
        return handled

    def _serve_control(self) -> None:
        started = time.perf_counter()
        if self.control.serve_pending():
            self.stats.held("control", started, time.perf_counter())

    def _report(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = self._answer(request)
        if request.get("op") == "counters":
            reply["loop"] = self.stats.report()
        return reply
