"""`smartnic demo`: the sample cloud and traffic mix, rendered for a person."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.table import Table

from smartnic.cli.common import console, fail, os_reason
from smartnic.demo.run import DemoReport, run_demo

FLOW_LOG_LINES = 10


def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", help="where the pcap and logs go"),
    netns: bool = typer.Option(False, "--netns",
                               help="run on real network namespaces with real tools (root)"),
) -> None:
    """Run the sample cloud: allowed and blocked traffic, counters, flow logs, a pcap."""
    if netns:
        _netns(out)
        return
    started = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)  # refused before any work is done
        report = run_demo(out)
    except OSError as error:
        fail(f"--out {out}: cannot write: {os_reason(error, out)}")
    _render(report)
    console.print(f"finished in {(time.perf_counter() - started) * 1000:.0f} ms", style="dim")


def _render(report: DemoReport) -> None:
    console.rule("smartnic demo: 2 VPCs (peered), 4 subnets, 7 instances on 3 hosts")
    console.print(f"ARP: {report.arp_answers} VMs resolved their gateway; the engine answered "
                  f"every request itself (nothing flooded)\n")
    table = Table(title="Traffic", title_justify="left")
    for column in ("what", "flow", "outcome", "deciding stage", "rule", "reply"):
        table.add_column(column, overflow="fold")
    for a in report.attempts:
        style = "green" if a.outcome.startswith("delivered") else "red"
        table.add_row(a.description, a.flow, f"[{style}]{a.outcome}[/]", a.stage, a.rule,
                      "yes" if a.reply else "-")
    console.print(table)
    drops = Table(title="Drops per stage (all ENIs)", title_justify="left")
    drops.add_column("stage")
    drops.add_column("packets", justify="right")
    for stage, count in report.drops_by_stage.items():
        drops.add_row(stage, str(count))
    console.print(drops)
    console.print(f"Flow logs ({len(report.flow_log_records)} records; first "
                  f"{FLOW_LOG_LINES}):", style="bold")
    for record in report.flow_log_records[:FLOW_LOG_LINES]:
        console.print(f"  {record.line}", highlight=False)
    console.print(f"\nunderlay capture: {report.pcap_path} ({report.pcap_frames} VXLAN frames; "
                  f"open with tshark or Wireshark)")
    console.print(f"flow-log files: {len(report.flow_log_files)} under "
                  f"{report.flow_log_files[0].parents[6] if report.flow_log_files else '-'}")


def _netns(out: Path) -> None:
    if os.geteuid() != 0:
        console.print("[bold red]--netns needs root[/] (network namespaces, AF_PACKET)")
        raise typer.Exit(1)
    from smartnic.demo.netns_run import run_netns_demo

    console.rule("smartnic demo on real namespaces: one engine process per host")
    attempts, counters, lines = run_netns_demo(out / "flowlogs")
    table = Table(title="Real traffic (tools in VM namespaces) beside the engines' decision",
                  title_justify="left")
    for column in ("what", "tool", "real result", "trace says", "rule"):
        table.add_column(column, overflow="fold")
    for a in attempts:
        real = "-" if a.reached is None else ("[green]reached[/]" if a.reached
                                              else "[red]blocked[/]")
        table.add_row(a.description, a.command, real, a.engine_says, a.rule)
    console.print(table)
    drops: dict[str, int] = {}
    for reply in counters.values():
        for values in (reply.get("enis") or {}).values():
            for name, value in values.items():
                if name.startswith("drop."):
                    drops[name[5:]] = drops.get(name[5:], 0) + value
    console.print("Drops counted by the engines: " + (", ".join(
        f"{k} {v}" for k, v in sorted(drops.items())) or "none"), highlight=False)
    console.print(f"Flow logs delivered by the engines ({len(lines)} records; first "
                  f"{FLOW_LOG_LINES}):", style="bold")
    for line in lines[:FLOW_LOG_LINES]:
        console.print(f"  {line}", highlight=False)
