"""`smartnic flowlogs`: VPC Flow Log records, from replayed traffic or delivered files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import typer
import yaml

from smartnic.cli.common import CONFIG_ERROR_EXIT, console, err_console, load_or_exit
from smartnic.clock import VirtualClock
from smartnic.telemetry.flowlogs.delivery import deliver, to_text
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
        for path in sorted(read.rglob("*.log.gz")):
            console.print(f"# {path.relative_to(read)}", style="dim")
            console.print(gzip.decompress(path.read_bytes()).decode(), highlight=False, end="")
        return
    if config is None or packets is None:
        err_console.print("[bold red]give --config and --packets, or --read DIR[/]")
        raise typer.Exit(CONFIG_ERROR_EXIT)
    clock = VirtualClock()
    cloud, _ = replay(load_or_exit(config), yaml.safe_load(packets.read_text()) or [], clock)
    clock.advance(advance)
    cloud.tick()
    records = cloud.flow_log_records(include_open=False)
    if out is not None:
        for path in deliver(records, out, cloud.config.account_id, cloud.config.region):
            err_console.print(f"wrote {path}")
    if as_json:
        console.print_json(json.dumps([
            {"flow_log_id": r.flow_log_id, "eni": r.eni_id, "direction": r.direction,
             "line": r.line, "version": r.version} for r in records
        ]))
    else:
        console.print(to_text(records), highlight=False, end="")
