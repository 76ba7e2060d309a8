"""The engine process's main loop: wait for frames, process batches, serve control, tick.

Waits with poll(2) on every port and the control socket (no busy spinning), processes one
batch per readable round, closes flow-log windows once a second and delivers the records
as S3-layout files. Python's full garbage collections run here, when due (heap.py).
SIGTERM/SIGINT end the loop cleanly: windows flushed, ports closed, control socket
removed.
"""

from __future__ import annotations

import select
import signal
import time
from pathlib import Path
from typing import Any, Protocol

from smartnic.runtime.control import ControlServer
from smartnic.runtime.heap import FullCollections
from smartnic.telemetry.flowlogs import FlowLogRecord
from smartnic.telemetry.flowlogs.delivery import deliver

POLL_TIMEOUT_MS = 20
MAX_BATCHES_PER_WAKEUP = 64  # then answer the control socket even under full load
TICK_INTERVAL_S = 1.0


class PollableEngine(Protocol):
    def poll(self) -> int: ...

    def tick(self) -> list[FlowLogRecord]: ...

    def finish(self) -> list[FlowLogRecord]: ...

    def report(self, request: dict[str, Any]) -> dict[str, Any]: ...


class EngineLoop:
    def __init__(self, engine: PollableEngine, fds: list[int], control: ControlServer,
                 flowlog_dir: Path, account_id: str, region: str) -> None:
        self.engine = engine
        self.control = control
        self.flowlog_dir = flowlog_dir
        self.account_id, self.region = account_id, region
        self.running = True
        self.poller = select.poll()
        for fd in [*fds, control.fileno()]:
            self.poller.register(fd, select.POLLIN)

    def stop(self, *_: object) -> None:
        self.running = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        next_tick = time.monotonic() + TICK_INTERVAL_S
        full_collections = FullCollections(time.monotonic())
        while self.running:
            ready = self.poller.poll(POLL_TIMEOUT_MS)
            if ready:
                for _ in range(MAX_BATCHES_PER_WAKEUP):
                    if not self.engine.poll():
                        break
                self.control.serve_pending()
            if time.monotonic() >= next_tick:
                self._deliver(self.engine.tick())
                next_tick = time.monotonic() + TICK_INTERVAL_S
            full_collections.maybe(time.monotonic(), idle=not ready)
        self._deliver(self.engine.finish())
        self.control.close()

    def _deliver(self, records: list[FlowLogRecord]) -> None:
        if records:
            deliver(records, self.flowlog_dir, self.account_id, self.region)
