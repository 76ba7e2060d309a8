"""`smartnic trace`: say, stage by stage, which rule let a packet through or dropped it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from smartnic.cli.common import console, fail, load_or_exit
from smartnic.cli.packets import (
    OPTION_OF_FIELD,
    check_options,
    packet_from_options,
    packets_from_file,
)
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
    options = {"from": sender, "dst": dst, "src": src, "sport": sport, "dport": dport,
               "flags": flags, "icmp_type": icmp_type, "icmp_code": icmp_code,
               "length": length}
    given = {k: v for k, v in options.items() if v is not None}
    if packets is not None and given:
        fail(f"give --packets or packet options, not both (got {_options(given)})")
    if packets is None and (sender is None or dst is None):
        fail("--from and --dst are required without --packets")
    spec = {**given, "proto": proto}
    if packets is None:
        check_options(spec)  # before the config is loaded: a typo is refused at once
    loaded = load_or_exit(config)
    sends = (packets_from_file(packets, loaded) if packets is not None
             else packet_from_options(spec, loaded))
    try:
        results = run_trace(loaded, sends)
    except SendError as error:  # checked beforehand; kept so a miss is still one line
        fail(f"bad packet: {error}")
    if as_json:
        payload: Any = [r.to_json() for r in results]
        console.print_json(json.dumps(payload if packets else payload[0]))
        return
    for result in results:
        _render(result)


def _options(given: dict[str, Any]) -> str:
    return ", ".join(OPTION_OF_FIELD[name] for name in given)


def _render(result: TraceResult) -> None:
    send = result.send
    title = (f"{send.get('from')} → {send.get('dst')} {send.get('proto', 'tcp')}"
             f"{' dport ' + str(send['dport']) if 'dport' in send else ''}"
             f"{' flags ' + str(send['flags']) if 'flags' in send else ''}")
    table = Table(title=escape(title), title_justify="left", show_lines=False)
    for column in ("host", "stage", "verdict", "detail", "rule"):
        table.add_column(column)
    for hop in result.hops:  # ids and rules come from the config: never markup
        style = VERDICT_STYLE.get(hop.verdict, "")
        table.add_row(escape(hop.host), escape(hop.stage),
                      f"[{style}]{escape(hop.verdict)}[/]", escape(hop.detail),
                      escape(hop.rule or ""))
    console.print(table)
    if result.result == "delivered":
        console.print(f"[bold green]delivered[/] to {escape(str(result.to))}\n")
    else:
        console.print(f"[bold red]dropped[/] at {escape(str(result.stage))}\n")
