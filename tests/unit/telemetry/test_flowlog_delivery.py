"""S3-style delivery of flow-log records, and text output."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from flowlog_builders import ACCOUNT, collector, obs, spec

from smartnic.telemetry.flowlogs import DEFAULT_FIELDS, deliver, to_text

T0 = 1418530010  # 2014-12-14T04:06:50Z
NAME = re.compile(
    rf"{ACCOUNT}_vpcflowlogs_us-east-1_(fl-[a-z0-9]+)_(\d{{8}}T\d{{4}}Z)_([0-9a-f]{{8}})\.log\.gz")


def _records() -> list:  # type: ignore[type-arg]
    log = collector(spec("fl-1"), spec("fl-2", fields=("srcport", "action")), start_s=T0 - 10)
    log.observe(obs(t=T0))
    log.observe(obs(sport=40001, t=T0 + 1))
    return log.flush(T0 + 5)


def test_deliver_writes_s3_layout_with_header(tmp_path: Path) -> None:
    records = _records()
    paths = deliver(records, tmp_path, ACCOUNT, "us-east-1")
    assert len(paths) == 2
    for path in paths:
        relative = path.relative_to(tmp_path)
        assert relative.parts[:7] == ("AWSLogs", ACCOUNT, "vpcflowlogs", "us-east-1",
                                      "2014", "12", "14")
        match = NAME.fullmatch(path.name)
        assert match is not None
        assert match.group(2) == "20141214T0405Z"  # 5-minute delivery period of the records
    by_log = {NAME.fullmatch(p.name).group(1): p for p in paths}  # type: ignore[union-attr]
    text = gzip.decompress(by_log["fl-1"].read_bytes()).decode()
    assert text.splitlines() == [
        " ".join(DEFAULT_FIELDS),
        *(r.line for r in records if r.flow_log_id == "fl-1"),
    ]
    assert text.splitlines()[1].startswith(f"2 {ACCOUNT} eni-c 10.0.1.10 10.0.2.30 40000 22")
    assert gzip.decompress(by_log["fl-2"].read_bytes()).decode() == (
        "srcport action\n40000 ACCEPT\n40001 ACCEPT\n")


def test_deliver_is_reproducible(tmp_path: Path) -> None:
    first = deliver(_records(), tmp_path / "a", ACCOUNT, "us-east-1")
    second = deliver(_records(), tmp_path / "b", ACCOUNT, "us-east-1")
    assert [p.name for p in first] == [p.name for p in second]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_deliver_splits_by_delivery_period(tmp_path: Path) -> None:
    log = collector(spec(fields=("start",)), start_s=0)
    log.observe(obs(t=10))
    log.observe(obs(t=310))
    paths = deliver(log.advance(360), tmp_path, ACCOUNT, "eu-west-1")
    stamps = sorted(p.name.split("_")[4] for p in paths)
    assert stamps == ["19700101T0000Z", "19700101T0005Z"]


def test_to_text_groups_by_flow_log() -> None:
    text = to_text(_records())
    blocks = text.rstrip("\n").split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["# fl-1", "# fl-2"]
    assert blocks[1].splitlines()[1:] == ["srcport action", "40000 ACCEPT", "40001 ACCEPT"]
    assert to_text([]) == ""
