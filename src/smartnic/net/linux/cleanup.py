"""`teardown(state_path | prefix)`: remove a topology — also one whose build crashed.

Steps: stop the recorded processes (SIGTERM, then SIGKILL after `timeout_s`; only PIDs in
the state whose /proc/<pid>/cmdline contains "smartnic", so a recycled PID is never hit)
→ delete the recorded links → delete the recorded namespaces and every namespace named
`<prefix>-…` (a crash may precede the record) → delete the state file.
Idempotent: a second call finds nothing and returns []. Returns what it removed, as
`pid:<pid> (<role>)`, `link:<netns>/<name>`, `netns:<name>`, `state:<path>`.
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

DEFAULT_STOP_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.05
PROCESS_MARK = b"smartnic"


def teardown(target: str | Path, *, state_root: str | Path | None = None,
             timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> list[str]:
    """`target`: a state file path (a Path, or text with '/' or ending '.json') or a prefix."""
    path, prefix = _resolve(target, state_root)
    state = read_state(path) or {}
    if state.get("prefix"):
        prefix = check_prefix(str(state["prefix"]))
    removed = _stop_processes(state.get("processes", []), timeout_s)
    removed += _delete_links(state.get("links", []))
    removed += _delete_namespaces(state.get("namespaces", []), prefix)
    removed += remove_state(path, prefix)
    return removed


def _resolve(target: str | Path, state_root: str | Path | None) -> tuple[Path, str | None]:
    text = str(target)
    if isinstance(target, Path) or "/" in text or text.endswith(".json"):
        return Path(target), None
    return default_state_path(text, state_root), check_prefix(text)


def _is_smartnic(pid: int) -> bool:
    try:
        return PROCESS_MARK in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running (a zombie has exited; its parent reaps it, not us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _signal(pid: int, number: signal.Signals) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def _stop_processes(records: list[dict[str, Any]], timeout_s: float) -> list[str]:
    targets = {int(r["pid"]): str(r.get("role", "")) for r in records
               if _is_smartnic(int(r["pid"]))}
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while any(_alive(pid) for pid in targets) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
    for pid in targets:
        if _alive(pid) and _is_smartnic(pid):
            _signal(pid, signal.SIGKILL)
    return [f"pid:{pid} ({role})" for pid, role in targets.items()]


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
