"""`smartnic flowlogs`: VPC Flow Log records, from replayed traffic or delivered files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from smartnic.cli.common import console, err_console, fail, load_or_exit, os_reason
from smartnic.cli.packets import packets_from_file
from smartnic.clock import VirtualClock
from smartnic.scenarios.sends import SendError, check_seconds
from smartnic.telemetry.flowlogs.delivery import deliver, to_text
from smartnic.telemetry.flowlogs.reading import FlowLogReadError, delivered_files, read_delivered
from smartnic.telemetry.flowlogs.record import FlowLogRecord
from smartnic.telemetry.trace import replay


def flowlogs(
    config: Path | None = typer.Option(None, "--config", help="config the traffic runs on"),
    packets: Path | None = typer.Option(None, "--packets",
                                        help="YAML list of scenario `send` steps"),
    advance: float = typer.Option(600.0, "--advance",
                                  help="seconds to let pass after the traffic (closes windows)"),
    out: Path | None = typer.Option(None, "--deliver", help="write S3-layout .log.gz files here"),
    read: Path | None = typer.Option(None, "--read", help="print delivered .log.gz files"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print flow-log records: replay --packets on --config, or --read delivered files."""
    if read is not None:
        if config is not None or packets is not None or out is not None:
            fail("--read prints delivered files: give it alone, without --config, --packets "
                 "or --deliver")
        _print_delivered(read)
        return
    if config is None or packets is None:
        fail("give --config and --packets, or --read DIR")
    try:
        check_seconds(advance, "--advance")
    except SendError as error:
        fail(str(error))
    loaded = load_or_exit(config)
    clock = VirtualClock()
    cloud, _ = replay(loaded, packets_from_file(packets, loaded), clock)
    clock.advance(advance)
    cloud.tick()
    records = cloud.flow_log_records(include_open=False)
    if out is not None:
        _deliver(records, out, cloud.config.account_id, cloud.config.region)
    if as_json:
        console.print_json(json.dumps([
            {"flow_log_id": r.flow_log_id, "eni": r.eni_id, "direction": r.direction,
             "line": r.line, "version": r.version} for r in records
        ]))
    else:
        console.print(to_text(records), highlight=False, markup=False, end="")


def _print_delivered(read: Path) -> None:
    try:
        for path in delivered_files(read):
            lines = read_delivered(path)
            name = path.relative_to(read) if path != read else path.name
            console.print(f"# {name}", style="dim", highlight=False, markup=False)
            console.print("\n".join(lines), highlight=False, markup=False)
    except FlowLogReadError as error:
        fail(f"--read {error}")


def _deliver(records: list[FlowLogRecord], out: Path, account_id: str, region: str) -> None:
    try:
        paths = deliver(records, out, account_id, region)
    except OSError as error:
        fail(f"--deliver {out}: cannot write: {os_reason(error, out)}")
    for path in paths:
        err_console.print(f"wrote {path}", highlight=False, markup=False)
