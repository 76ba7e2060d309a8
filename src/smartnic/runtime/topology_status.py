"""`status` and `counters` of a topology that is up.

`status`: hosts, VMs, the edge and, per engine, its PID, whether it runs, its supervisor
state (supervision.py), restart count, last exit reason (`exit 1`, `SIGSEGV`) and how
long its last start took until it answered; plus the supervisor itself. Engines whose
supervisor is gone are reported from the state file's records. `unhealthy(report)` names
every engine that is not running and a supervisor that is not (one line each).

`counters`: every engine's live counters over its control socket; an engine that does
not answer gets `{"error": ...}` saying why, the others still report.
"""

from __future__ import annotations

import socket
from typing import Any

from smartnic.process_records import still_ours
from smartnic.runtime.control import query
from smartnic.runtime.restarts import MAX_RESTARTS, WINDOW_S
from smartnic.runtime.spec import EngineSpec
from smartnic.runtime.supervision import read_report, supervisor_records
from smartnic.runtime.topology import Topology

COUNTERS_TIMEOUT_S = 2.0
Report = dict[str, Any]


def status(topo: Topology) -> Report:
    """NoSuchTopology when nothing of it exists; BrokenTopology when it cannot be read."""
    state = topo.require().state()
    layout = topo.plan()
    supervised = (read_report(topo.directory) or {}).get("engines", {})
    recorded = {p["role"]: p for p in state.get("processes", []) if p.get("kind") != "supervisor"}
    supervisor_alive = _supervisor(state)
    hosts = []
    for host in layout.hosts.values():
        entry = {"id": host.id, "netns": host.netns, "underlay_ip": host.underlay_ip,
                 "kind": host.kind}
        if host.kind == "engine":
            entry |= _engine(supervised.get(host.id), recorded.get(host.id),
                             supervisor_alive["running"]) | _placement(topo, host.id)
        hosts.append(entry)
    vms = [{"eni": v.eni_id, "netns": v.netns, "host": v.host_id,
            "ips": [a.split("/")[0] for a in v.addresses]} for v in layout.vms.values()]
    edge = {"netns": layout.edge.netns, "underlay_ip": layout.edge.underlay_ip,
            **_engine(supervised.get("edge"), recorded.get("edge"), supervisor_alive["running"]),
            **_placement(topo, "edge")}
    return {"prefix": topo.prefix, "supervisor": supervisor_alive, "hosts": hosts, "vms": vms,
            "edge": edge}


def _placement(topo: Topology, role: str) -> Report:
    """How the engine waits for frames and where it runs (`up --poll/--cpus`), from its
    spec; empty when `up` did not get as far as writing it."""
    try:
        spec = EngineSpec.load(topo.spec_path(role))
    except (OSError, ValueError):
        return {}
    return {"poll": spec.poll_mode, "cpus": spec.cpus}


def _supervisor(state: dict[str, Any]) -> Report:
    records = supervisor_records(state)
    pid = int(records[-1]["pid"]) if records else None
    running = bool(records) and still_ours(int(records[-1]["pid"]), records[-1].get("start_time"))
    return {"pid": pid, "running": running,
            "policy": {"max_restarts": MAX_RESTARTS, "window_s": WINDOW_S}}


def _engine(supervised: Report | None, recorded: Report | None, supervisor_running: bool) -> Report:
    entry = supervised or {}
    pid = entry.get("pid") or (recorded or {}).get("pid")
    started = entry.get("start_time") if entry.get("pid") else (recorded or {}).get("start_time")
    alive = pid is not None and still_ours(int(pid), started)
    state = entry.get("state") or ("running" if alive else "dead")
    unseen = state in ("starting", "running")  # the supervisor has not seen the exit yet
    orphaned = state == "restarting" and not supervisor_running  # nothing will restart it
    if not alive and (unseen or orphaned):
        state = "dead"
    return {"engine_pid": pid, "engine_alive": alive, "engine_state": state,
            "restarts": int(entry.get("restarts", 0)), "last_exit": entry.get("last_exit"),
            "ready_after_s": entry.get("ready_after_s")}


def unhealthy(report: Report) -> list[str]:
    """One line per engine not running, and one for a supervisor that is gone."""
    lines = []
    supervisor = report["supervisor"]
    if not supervisor["running"]:
        which = f"(pid {supervisor['pid']}) is" if supervisor["pid"] else "is not recorded and"
        lines.append(f"supervisor {which} not running: crashed engines are not restarted; "
                     "`smartnic down` still removes everything")
    engines = [(h["id"], h) for h in report["hosts"] if h["kind"] == "engine"]
    for name, engine in [*engines, ("edge", report["edge"])]:
        if engine["engine_state"] != "running" or not engine["engine_alive"]:
            lines.append(f"engine {name}: {describe(engine)}")
    return lines


def describe(engine: Report) -> str:
    """`running`, `gave up after 5 restarts within 60 s (last exit SIGSEGV)`, …"""
    state, last = engine["engine_state"], engine["last_exit"]
    after = f" (last exit {last})" if last else ""
    if state == "gave_up":
        return f"gave up after {MAX_RESTARTS} restarts within {WINDOW_S:g} s{after}"
    if state == "stopped":
        return f"stopped{after}: exited on request, not restarted"
    if state == "running" and engine["engine_alive"]:
        return "running"
    return f"{state}{after}"


def counters(topo: Topology) -> dict[str, Report]:
    """Engine name -> its counters, or {"error": why it did not answer}."""
    layout = topo.require().plan()
    replies: dict[str, Report] = {}
    for engine in [*[h.id for h in layout.hosts.values() if h.kind == "engine"], "edge"]:
        try:
            spec = EngineSpec.load(topo.spec_path(engine))
        except (OSError, ValueError):
            replies[engine] = {"error": "no engine spec (`up` did not finish)"}
            continue
        try:
            replies[engine] = query(spec.control_socket, {"op": "counters"},
                                    timeout_s=COUNTERS_TIMEOUT_S)
        except (OSError, ValueError) as error:
            replies[engine] = {"error": f"not answering: {_why(error)}"}
    return replies


def _why(error: Exception) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return f"no answer within {COUNTERS_TIMEOUT_S:g} s"
    if isinstance(error, FileNotFoundError):
        return "no control socket (engine not started)"
    if isinstance(error, ConnectionRefusedError):
        return "its control socket refuses connections (engine not running)"
    if isinstance(error, ValueError):
        return "unreadable reply"
    return str(error)
