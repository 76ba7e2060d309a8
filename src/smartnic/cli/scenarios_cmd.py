"""`smartnic scenarios run FILE...`: acceptance scenarios on the in-process cloud."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from smartnic.cli.common import console, fail
from smartnic.scenarios.runner import ScenarioFileError, load_scenario_file, run_file, summary

app = typer.Typer(help="Run scenario files (schema_version 1).", no_args_is_help=True)

STATUS_STYLE = {"PASS": "green", "FAIL": "bold red", "SKIP": "yellow"}


@app.command("run")
def run(
    files: list[Path] = typer.Argument(..., help="scenario YAML files"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    tag: list[str] = typer.Option([], "--tag", help="only scenarios with this tag"),
) -> None:
    """One line per scenario (PASS / FAIL with the first mismatch / SKIP with its reason)."""
    documents = []
    for path in files:  # every file is checked before any scenario runs
        try:
            documents.append(load_scenario_file(path))
        except ScenarioFileError as error:
            fail(str(error))
    results = [result for document in documents for result in run_file(document, tag)]
    if as_json:
        console.print_json(json.dumps({"results": [r.to_json() for r in results],
                                       "summary": summary(results)}))
    else:
        for result in results:
            style = STATUS_STYLE[result.status]
            console.print(f"[{style}]{result.status}[/] "
                          + escape(f"{result.id}: {result.title}"
                                   + (f" — {result.message}" if result.message else "")),
                          highlight=False, soft_wrap=True)
            for note in result.notes:
                console.print(f"    note: {note}", style="dim", highlight=False, soft_wrap=True,
                              markup=False)
        console.print(summary(results), highlight=False)
    if any(r.status == "FAIL" for r in results):
        raise typer.Exit(1)
