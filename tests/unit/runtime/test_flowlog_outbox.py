"""Flow-log records leave the engine a slice per loop pass (runtime/flowlog_outbox.py): a
window of many flows is delivered whole (every record once, in order, files of at most
CHUNK_RECORDS), a slice stops near its budget however many records wait, and the engine
loop keeps answering while a large window is written out. (How long the loop is held is
a benchmark figure: `hostile` in docs/benchmarks.md.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from smartnic.runtime import flowlog_outbox
from smartnic.runtime.control import ControlServer, query
from smartnic.runtime.flowlog_outbox import CHUNK_RECORDS, FlowLogOutbox
from smartnic.runtime.loop import EngineLoop
from smartnic.runtime.polling import Waiting
from smartnic.telemetry.flowlogs import FlowLogRecord
from smartnic.telemetry.flowlogs.reading import delivered_files, read_delivered
from tests.unit.runtime.fake_engines import QuietEngine
from tests.unit.telemetry.flowlog_builders import collector, obs, spec

ACCOUNT, REGION = "123456789012", "us-east-1"


def window_of(flows: int, start_s: float = 0.0) -> list[FlowLogRecord]:
    """The records of one 60 s window with `flows` flows on eni-c (and nothing else)."""
    log = collector(spec(enis=["eni-c"]), start_s=start_s)
    for n in range(flows):
        log.observe(obs(sport=1024 + n % 60000, dport=22 + n // 60000, t=start_s + 1))
    return log.advance(start_s + 60)


def delivered_lines(root: Path) -> list[str]:
    return [line for path in delivered_files(root) for line in read_delivered(path)[1:]]


def test_every_record_is_delivered_once_in_files_of_bounded_size(tmp_path: Path) -> None:
    first, second = window_of(2500), window_of(300, start_s=600)
    outbox = FlowLogOutbox(tmp_path, ACCOUNT, REGION)
    outbox.add(iter(first))
    outbox.add(second)
    outbox.drain()
    assert not outbox.pending
    files = delivered_files(tmp_path)
    assert all(len(read_delivered(path)) - 1 <= CHUNK_RECORDS for path in files)
    assert sorted(delivered_lines(tmp_path)) == sorted(r.line for r in [*first, *second])
    assert (outbox.delivered_records, outbox.delivered_files) == (2800, len(files))


def slow_records(records: list[FlowLogRecord], each_s: float) -> Iterator[FlowLogRecord]:
    for record in records:
        time.sleep(each_s)
        yield record


def test_a_slice_stops_near_its_budget(tmp_path: Path) -> None:
    records = window_of(400)
    outbox = FlowLogOutbox(tmp_path, ACCOUNT, REGION)
    outbox.add(slow_records(records, 0.0002))
    rendered = outbox.work(0.001)
    assert 0 < rendered <= 2 * flowlog_outbox.CHECK_EVERY
    assert outbox.pending
    while outbox.pending:
        rendered += outbox.work(0.001)
    assert rendered == 400
    assert sorted(delivered_lines(tmp_path)) == sorted(r.line for r in records)


class LargeWindow(QuietEngine):
    """An engine whose first tick closes a window of `flows` flows, rendered lazily."""

    def __init__(self, flows: int) -> None:
        self.records = window_of(flows)
        self.ticked = False

    def tick(self) -> Iterator[FlowLogRecord]:
        if self.ticked:
            return iter(())
        self.ticked = True
        return slow_records(self.records, 0.00002)


def test_the_loop_writes_a_large_window_out_in_slices(tmp_path: Path) -> None:
    engine = LargeWindow(20_000)
    control = ControlServer(tmp_path / "engine.sock", engine.report)
    loop = EngineLoop(engine, [], control, tmp_path / "logs", ACCOUNT, REGION,
                      Waiting("interrupt"))
    loop_thread = threading.Thread(target=loop.run)
    start = time.monotonic()
    loop_thread.start()
    try:
        while not loop.outbox.delivered_records and time.monotonic() - start < 30:
            time.sleep(0.01)  # the first tick comes a second after the start
        counters = query(control.path, {"op": "counters"})
        answered_while_pending = loop.outbox.pending
        while loop.outbox.pending and time.monotonic() - start < 60:
            time.sleep(0.05)
    finally:
        loop.stop()
        loop_thread.join(timeout=10)
    assert counters["host"] == "host-1" and answered_while_pending
    held = loop.stats.report()["held"]
    assert held["tick"]["times"] >= 1
    assert held["flowlogs"]["times"] >= 20_000 // CHUNK_RECORDS  # slices, not one hold
    assert len(delivered_lines(tmp_path / "logs")) == 20_000
