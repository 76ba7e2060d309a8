"""`smartnic bench [--quick] [--json] [--skip-e2e]`: the benchmark harness (`make bench`).

Runs the measurements of the repository's `bench/` package (bench.harness) in one run and
prints a summary; a full run (not `--quick`) rewrites docs/benchmarks.md. `--json` prints
the figures as JSON on stdout (progress then goes to stderr). The end-to-end part needs
root (network namespaces); without root it is skipped with a note. Exit status 1 when a
step failed (its error is in the summary and the report), 2 when `bench/` is missing.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

import smartnic
from smartnic.cli.common import fail

REPO = Path(smartnic.__file__).resolve().parents[2]


def _import_harness() -> Any:
    """The harness lives beside src/ in the checkout, not in the installed package."""
    if not (REPO / "bench" / "harness.py").exists():
        raise FileNotFoundError(f"no bench/ package under {REPO}: smartnic bench runs from a "
                                "source checkout")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import bench.harness
    import bench.report

    return bench


def _summary(console: Console, results: dict[str, Any], notes: Any) -> None:
    table = Table(title="smartnic bench", title_justify="left")
    for column in ("figure", "measured", "target", "measured ÷ target", ""):
        table.add_column(column, overflow="fold")
    for row in notes.targets(results):
        style = "green" if row[4] == "met" else "red" if row[4] == "short" else "dim"
        table.add_row(*row[:4], f"[{style}]{row[4]}[/]")
    console.print(table)
    for name, error in results["errors"].items():
        console.print(f"[bold red]step {name} failed:[/] {error.splitlines()[0]}")


def bench(
    quick: bool = typer.Option(False, "--quick", help="fewer flows and seconds (< 3 min)"),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON"),
    skip_e2e: bool = typer.Option(False, "--skip-e2e", help="skip the real-port measurements"),
) -> None:
    """Measure fast path, slow path, naive baseline, memory, SYN flood and end to end."""
    console = Console(stderr=as_json)
    try:
        package = _import_harness()
    except FileNotFoundError as error:
        fail(str(error))
    if not skip_e2e and os.geteuid() != 0:
        console.print("[yellow]end to end needs root (network namespaces): skipped[/]")
        skip_e2e = True
    settings = package.harness.settings_for(quick, skip_e2e)
    # SIGTERM unwinds like Ctrl-C, so topologies and processes of a step are removed
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        results = _run(package, settings, quick, console)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        print(json.dumps(results["figures"], indent=2))
    if results["errors"]:
        raise typer.Exit(1)


def _run(package: Any, settings: Any, quick: bool, console: Console) -> dict[str, Any]:
    from bench import report_notes

    started = time.monotonic()

    def progress(message: str) -> None:
        console.print(f"[dim]{time.monotonic() - started:7.1f} s[/] {message}")

    results: dict[str, Any] = package.harness.run(settings, progress)
    _summary(console, results, report_notes)
    if not quick:
        console.print(f"wrote {package.report.write(results)}")
    console.print(f"finished in {time.monotonic() - started:.0f} s", style="dim")
    return results
