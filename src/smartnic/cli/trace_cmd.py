"""`smartnic trace`: say, stage by stage, which rule let a packet through or dropped it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.table import Table

from smartnic.cli.common import CONFIG_ERROR_EXIT, console, err_console, load_or_exit
from smartnic.scenarios.sends import SendError
from smartnic.telemetry.trace import TraceResult
from smartnic.telemetry.trace import trace as run_trace

VERDICT_STYLE = {"pass": "green", "drop": "bold red", "skip": "dim", "deliver": "bold green",
                 "forward": "cyan", "answer": "bold green", "hit": "magenta"}


def trace(
    config: Path = typer.Option(..., "--config", help="YAML config file or AWS JSON directory"),
    sender: str | None = typer.Option(None, "--from", help="ENI id or 'internet'"),
    dst: str | None = typer.Option(None, "--dst", help="destination IP"),
    proto: str = typer.Option("tcp", "--proto", help="tcp|udp|icmp|icmpv6|<number>"),
    src: str | None = typer.Option(None, "--src", help="source IP (default: sender's own)"),
    sport: int | None = typer.Option(None, "--sport"),
    dport: int | None = typer.Option(None, "--dport"),
    flags: str | None = typer.Option(None, "--flags", help="S|SA|A|PA|F|FA|R"),
    icmp_type: int | None = typer.Option(None, "--icmp-type"),
    icmp_code: int | None = typer.Option(None, "--icmp-code"),
    length: int | None = typer.Option(None, "--length", help="IP total length in bytes"),
    packets: Path | None = typer.Option(None, "--packets",
                                        help="YAML list of scenario `send` steps"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Explain packets through the VPC pipeline, with the deciding rules."""
    loaded = load_or_exit(config)
    sends = _sends(packets, sender, dst, proto, src, sport, dport, flags, icmp_type, icmp_code,
                   length)
    try:
        results = run_trace(loaded, sends)
    except (SendError, KeyError, ValueError) as error:
        err_console.print(f"[bold red]bad packet:[/] {error}")
        raise typer.Exit(CONFIG_ERROR_EXIT) from error
    if as_json:
        payload: Any = [r.to_json() for r in results]
        console.print_json(json.dumps(payload if packets else payload[0]))
        return
    for result in results:
        _render(result)


def _sends(packets: Path | None, sender: str | None, dst: str | None, proto: str,
           src: str | None, sport: int | None, dport: int | None, flags: str | None,
           icmp_type: int | None, icmp_code: int | None,
           length: int | None) -> list[dict[str, Any]]:
    if packets is not None:
        items = yaml.safe_load(packets.read_text())
        if not isinstance(items, list):
            err_console.print(f"[bold red]{packets}:[/] expected a list of send steps")
            raise typer.Exit(CONFIG_ERROR_EXIT)
        return items
    if sender is None or dst is None:
        err_console.print("[bold red]--from and --dst are required without --packets[/]")
        raise typer.Exit(CONFIG_ERROR_EXIT)
    spec: dict[str, Any] = {"from": sender, "dst": dst, "proto": proto}
    optional = {"src": src, "sport": sport, "dport": dport, "flags": flags,
                "icmp_type": icmp_type, "icmp_code": icmp_code, "length": length}
    spec.update({k: v for k, v in optional.items() if v is not None})
    return [spec]


def _render(result: TraceResult) -> None:
    send = result.send
    title = (f"{send.get('from')} → {send.get('dst')} {send.get('proto', 'tcp')}"
             f"{' dport ' + str(send['dport']) if 'dport' in send else ''}"
             f"{' flags ' + str(send['flags']) if 'flags' in send else ''}")
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("host", "stage", "verdict", "detail", "rule"):
        table.add_column(column)
    for hop in result.hops:
        style = VERDICT_STYLE.get(hop.verdict, "")
        table.add_row(hop.host, hop.stage, f"[{style}]{hop.verdict}[/]", hop.detail,
                      hop.rule or "")
    console.print(table)
    if result.result == "delivered":
        console.print(f"[bold green]delivered[/] to {result.to}\n")
    else:
        console.print(f"[bold red]dropped[/] at {result.stage}\n")
