"""Flow-log records on their way to files, a slice of the work per loop pass.

A flow log's window can close with up to FLOW_LOG_FLOWS_PER_WINDOW flows per ENI, and
rendering a record costs tens of microseconds: done at once, one window held the engine
loop for half a second and more, every port's frames waiting behind it (a bystander's
ping included). So the loop hands each window's records (rendered lazily:
`FlowLogCollector.advance_pending`) to the outbox, which renders and delivers them in
slices of about SLICE_S between passes over the ports, in files of at most CHUNK_RECORDS
records (S3 delivery also writes several objects per period; delivery.py names each by
its content).

Example:
    outbox = FlowLogOutbox(Path("out/flowlogs"), "123456789012", "us-east-1")
    outbox.add(collector.advance_pending(now_s))
    while outbox.pending:
        outbox.work(SLICE_S)          # between passes over the ports
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from smartnic.telemetry.flowlogs import FlowLogRecord
from smartnic.telemetry.flowlogs.delivery import deliver

SLICE_S = 0.001  # work per loop pass: a frame waits at most about this long for it
CHUNK_RECORDS = 1000  # records per delivered file (a larger file: a longer hold)
CHECK_EVERY = 16  # records rendered between looks at the clock


class FlowLogOutbox:
    def __init__(self, root: Path, account_id: str, region: str) -> None:
        self.root, self.account_id, self.region = root, account_id, region
        self._sources: deque[Iterator[FlowLogRecord]] = deque()
        self._chunk: list[FlowLogRecord] = []
        self.delivered_records = self.delivered_files = 0

    @property
    def pending(self) -> bool:
        return bool(self._sources or self._chunk)

    def add(self, records: Iterable[FlowLogRecord]) -> None:
        self._sources.append(iter(records))

    def work(self, budget_s: float) -> int:
        """Render and deliver for about `budget_s`; returns the records rendered."""
        deadline = time.perf_counter() + budget_s
        rendered = 0
        while self._sources:
            record = next(self._sources[0], None)
            if record is None:
                self._sources.popleft()
                continue
            self._chunk.append(record)
            rendered += 1
            if len(self._chunk) >= CHUNK_RECORDS:
                self._deliver()
            if rendered % CHECK_EVERY == 0 and time.perf_counter() >= deadline:
                return rendered
        self._deliver()
        return rendered

    def drain(self) -> None:
        """Everything, however long it takes (the engine is stopping)."""
        while self.pending:
            self.work(float("inf"))

    def _deliver(self) -> None:
        if self._chunk:
            files = deliver(self._chunk, self.root, self.account_id, self.region)
            self.delivered_records += len(self._chunk)
            self.delivered_files += len(files)
            self._chunk = []
