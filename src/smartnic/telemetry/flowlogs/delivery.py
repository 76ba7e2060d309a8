"""Write flow-log records out: as AWS delivers them to S3, or as text for printing.

Inputs: final `FlowLogRecord`s (for example what `FlowLogCollector.advance` returns), a
root directory standing in for the bucket (and prefix), the account id and Region.
Outputs: gzip files laid out like S3 delivery (FL-R1 destinations):

    <root>/AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/
        <account>_vpcflowlogs_<region>_<flow-log-id>_<yyyymmddTHHmmZ>_<8 hex>.log.gz

Each file holds one flow log's records of one 5-minute delivery period (taken from each
record's `end`, UTC); its first line is the header (the flow log's field names), then one
record per line. The 8 hex digits are a content hash rather than random, so a replay
writes the same file names.

Example:
    deliver(records, Path("out/s3"), "123456789010", "us-east-1")
    # -> [Path("out/s3/AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/
    #      123456789010_vpcflowlogs_us-east-1_fl-1_20141214T0405Z_<sha256[:8]>.log.gz")]
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from smartnic.telemetry.flowlogs.record import FlowLogRecord

DELIVERY_PERIOD_S = 300  # S3 delivery batches records about every 5 minutes (FL-R3)


def _header(records: list[FlowLogRecord]) -> str:
    fields = records[0].fields
    if not fields:
        raise ValueError(f"flow log {records[0].flow_log_id}: record has no field order")
    return " ".join(fields)


def _group(records: Iterable[FlowLogRecord]) -> dict[tuple[str, int], list[FlowLogRecord]]:
    """Records per (flow log, delivery period start), in first-seen order."""
    groups: dict[tuple[str, int], list[FlowLogRecord]] = {}
    for record in records:
        period_s = int(record.values["end"]) // DELIVERY_PERIOD_S * DELIVERY_PERIOD_S
        groups.setdefault((record.flow_log_id, period_s), []).append(record)
    return groups


def deliver(
    records: Iterable[FlowLogRecord], root: Path, account_id: str, region: str
) -> list[Path]:
    """Write `records` under `root` the way S3 delivery lays them out; return the files."""
    paths: list[Path] = []
    for (flow_log_id, period_s), group in _group(records).items():
        text = "\n".join([_header(group), *(record.line for record in group)]) + "\n"
        stamp = datetime.fromtimestamp(period_s, tz=UTC)
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        name = (f"{account_id}_vpcflowlogs_{region}_{flow_log_id}_"
                f"{stamp:%Y%m%dT%H%MZ}_{digest}.log.gz")
        directory = (root / "AWSLogs" / account_id / "vpcflowlogs" / region
                     / f"{stamp:%Y}" / f"{stamp:%m}" / f"{stamp:%d}")
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        # mtime=0 keeps the bytes reproducible for the same records.
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
        paths.append(path)
    return paths


def to_text(records: Iterable[FlowLogRecord]) -> str:
    """Records as text: per flow log a `# <id>` line, the header, then one line each."""
    by_log: dict[str, list[FlowLogRecord]] = {}
    for record in records:
        by_log.setdefault(record.flow_log_id, []).append(record)
    blocks = [
        "\n".join([f"# {log_id}", _header(group), *(record.line for record in group)])
        for log_id, group in by_log.items()
    ]
    return "\n\n".join(blocks) + ("\n" if blocks else "")
