"""What the supervisor publishes and what others check against it.

* the report, `<topology dir>/supervisor.json`, rewritten by the supervisor (atomic rename)
  on every change and read by `smartnic status`:
  `{"pid", "policy": {"max_restarts", "window_s"}, "engines": {<role>: {"pid",
  "start_time", "state", "restarts", "last_exit", "last_exit_at", "ready_after_s"}}}`;
  states: `starting` (started, not answering yet), `running` (answers on its control
  socket), `restarting` (crashed, restart due after the backoff), `gave_up` (crash loop,
  not restarted), `stopped` (exited with status 0, or the supervisor stopped it);
* `unsupervised_engine(spec_path)`: why an engine process may not run (None when its
  parent is the topology's recorded supervisor). An engine started by hand would be
  invisible to the supervisor and could hold the ports of the engine it restarts, so it
  is refused; to restart an engine, end it: the supervisor starts it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from smartnic.process_records import SUPERVISOR_KIND, still_ours

REPORT_FILE = "supervisor.json"
STATE_FILE = "state.json"  # net/linux/names.STATE_FILE_NAME, not imported: see engine_process
SUPERVISOR_ROLE = "supervisor"


def read_report(directory: Path) -> dict[str, Any] | None:
    """The last report, or None when there is none or it cannot be read."""
    try:
        report = json.loads((directory / REPORT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def write_report(directory: Path, report: dict[str, Any]) -> None:
    path = directory / REPORT_FILE
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(report, indent=1) + "\n")
    os.replace(temporary, path)


def supervisor_records(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in state.get("processes", []) if p.get("kind") == SUPERVISOR_KIND]


def supervisor_running(state: dict[str, Any]) -> bool:
    return any(still_ours(int(r["pid"]), r.get("start_time")) for r in supervisor_records(state))


def unsupervised_engine(spec_path: Path) -> str | None:
    """None when this process's parent is the topology's supervisor, else the refusal."""
    state_path = spec_path.resolve().parent / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        state = None
    if not isinstance(state, dict):
        return f"no topology is recorded at {state_path}: engines are started by `smartnic up`"
    parent = os.getppid()
    records = supervisor_records(state)
    if any(int(r["pid"]) == parent and still_ours(parent, r.get("start_time"))
           for r in records):
        return None
    prefix = state.get("prefix", "?")
    who = ", ".join(f"pid {r['pid']}" for r in records) or "none recorded"
    return (f"engines of topology {prefix} run under its supervisor ({who}): end an engine "
            "and the supervisor starts it again; an engine started by hand is refused")
