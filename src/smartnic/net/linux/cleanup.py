"""`teardown(state_path | prefix)`: remove a topology — also one whose build crashed.

Steps: stop the recorded supervisor (SIGTERM: it stops its engines; SIGKILL after
`2 * timeout_s`) → read the state again (a supervisor records each engine before
starting it) and stop every recorded process that still runs and is still ours (PID and
start time match, smartnic/process_records.py; SIGTERM, then SIGKILL after `timeout_s`)
→ delete the recorded links → delete the recorded namespaces and every namespace named
`<prefix>-…` (a crash may precede the record) → delete the state file. Works the same
after the supervisor itself crashed: its engines are recorded, so they are found and
stopped. Idempotent: a second call finds nothing and returns []. Returns what it removed,
as `pid:<pid> (<role>)`, `link:<netns>/<name>`, `netns:<name>`, `state:<path>`.
"""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns
from pyroute2.netlink.exceptions import NetlinkError

from smartnic.net.linux.names import check_prefix, default_state_path
from smartnic.net.linux.nsexec import list_namespaces
from smartnic.net.linux.state import read_state, remove_state
from smartnic.process_records import SUPERVISOR_KIND, still_ours

DEFAULT_STOP_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.05
KILL_WAIT_S = 1.0


def teardown(target: str | Path, *, state_root: str | Path | None = None,
             timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> list[str]:
    """`target`: a state file path (a Path, or text with '/' or ending '.json') or a prefix."""
    path, prefix = _resolve(target, state_root)
    state = _readable_state(path)
    if state.get("prefix"):
        prefix = check_prefix(str(state["prefix"]))
    removed = _stop_processes(path, state.get("processes", []), timeout_s)
    removed += _delete_links(state.get("links", []))
    removed += _delete_namespaces(state.get("namespaces", []), prefix)
    removed += remove_state(path, prefix)
    return removed


def _readable_state(path: Path) -> dict[str, Any]:
    """The recorded state; {} when there is none or it is damaged (the prefix sweep and
    the state file's removal still happen)."""
    try:
        return read_state(path) or {}
    except ValueError:
        return {}


def _resolve(target: str | Path, state_root: str | Path | None) -> tuple[Path, str | None]:
    text = str(target)
    if isinstance(target, Path) or "/" in text or text.endswith(".json"):
        return Path(target), None
    return default_state_path(text, state_root), check_prefix(text)


def _signal(pid: int, number: signal.Signals) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _ours(records: list[dict[str, Any]]) -> dict[int, tuple[str, int | None]]:
    """PID -> (role, start time) of the recorded processes that still run and are ours."""
    found = {}
    for record in records:
        pid, started = int(record["pid"]), record.get("start_time")
        if still_ours(pid, started):
            found[pid] = (str(record.get("role", "")), started)
    return found


def _stop(records: list[dict[str, Any]], timeout_s: float) -> list[str]:
    targets = _ours(records)
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    _wait_gone(targets, timeout_s)
    for pid, (_, started) in targets.items():
        if still_ours(pid, started):
            _signal(pid, signal.SIGKILL)
    _wait_gone(targets, KILL_WAIT_S)
    return [f"pid:{pid} ({role})" for pid, (role, _) in targets.items()]


def _wait_gone(targets: dict[int, tuple[str, int | None]], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(still_ours(p, s) for p, (_, s) in targets.items()):
        time.sleep(POLL_INTERVAL_S)


def _stop_processes(path: Path, records: list[dict[str, Any]], timeout_s: float) -> list[str]:
    """The supervisor first (so nothing restarts what we stop), then everything recorded."""
    removed = _stop([r for r in records if r.get("kind") == SUPERVISOR_KIND], 2 * timeout_s)
    now = _readable_state(path).get("processes", records) if path.exists() else records
    return removed + _stop([r for r in now if r.get("kind") != SUPERVISOR_KIND], timeout_s)


def _delete_links(records: list[dict[str, str]]) -> list[str]:
    by_netns: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_netns[record["netns"]].append(record["name"])
    existing = set(list_namespaces())
    removed = []
    for netns, names in by_netns.items():
        if netns not in existing:
            continue
        with IPRoute(netns=netns, flags=0) as ipr:
            for name in names:
                found = ipr.link_lookup(ifname=name)
                try:
                    if found:
                        ipr.link("del", index=found[0])
                        removed.append(f"link:{netns}/{name}")
                except NetlinkError:
                    pass  # gone with its veth peer meanwhile
    return removed


def _delete_namespaces(recorded: list[str], prefix: str | None) -> list[str]:
    existing = list_namespaces()
    swept = [name for name in existing if prefix and name.startswith(f"{prefix}-")]
    removed = []
    for name in dict.fromkeys([*reversed(recorded), *swept]):
        if name in existing:
            pyroute2_netns.remove(name)
            removed.append(f"netns:{name}")
    return removed
