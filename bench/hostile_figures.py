"""The `hostile` figures of `smartnic bench --json`, and whether a flood left the
bystanders alone (`fair`): ping p99 under the flood at most 2x its idle p99 and at most
10 ms, no ping lost, every new connection of the bystander opened, the established flows
of the flooder and of a bystander kept flowing, the engines alive with the same PIDs."""

from __future__ import annotations

from typing import Any

P99_FACTOR = 2.0
P99_CEILING_MS = 10.0


def _admitted(fate: dict[str, int | None]) -> int | None:
    """Openings past the allowance: each opened a tracked connection (`conntrack_opened`,
    reopened tuples included) or was refused at the ENI's capacity (None: not known)."""
    opened, refused = fate.get("conntrack_opened", 0), fate.get("conntrack_allowance_exceeded", 0)
    return None if opened is None or refused is None else opened + refused


def _flowed(established: dict[str, Any]) -> bool:
    return all(e.get("round_trips", 0) > 0 and not e.get("failures") and "error" not in e
               for e in established.values())


def _holds(flood: dict[str, Any], over: str) -> dict[str, int] | None:
    """Per host engine: how often its loop was held past the threshold during the flood,
    all phases together (None: not reported)."""
    holds = flood.get("loop_holds")
    if not holds:
        return None
    return {host: sum(n for name, n in phases.items() if name.endswith(over))
            for host, phases in holds.items()}


def flood_figures(flood: dict[str, Any], idle_p99_ms: float | None) -> dict[str, Any]:
    ping, connects = flood["ping"], flood["connects"]
    flooder, target = flood["fate"]["eni-flooder"], flood["fate"]["eni-target"]
    p99 = ping.get("p99_ms")
    ping_ok = (p99 is not None and idle_p99_ms is not None and ping["loss"] == 0
               and p99 <= P99_FACTOR * idle_p99_ms and p99 <= P99_CEILING_MS)
    growth = {host: flood["rss_after_bytes"].get(host, 0) - before
              for host, before in flood["rss_before_bytes"].items()}
    return {
        "rate_pps": flood["rate_pps"], "offered_pps": flood.get("offered_pps"),
        "offered": flood.get("offered"), "ping_p50_ms": ping.get("p50_ms"), "ping_p99_ms": p99,
        "ping_loss": ping["loss"], "connects_ok": connects.get("ok", 0),
        "connects_failed": connects.get("failed", 0),
        "established_flowing": _flowed(flood["established"]),
        "established_max_gap_ms": max((e.get("max_gap_ms", 0.0)
                                       for e in flood["established"].values()), default=None),
        "new_flows_admitted_at_sender": _admitted(flooder),
        "refused_at_sender": flooder.get("new_flow_allowance_exceeded", 0),
        "refused_at_receiver": target.get("new_flow_allowance_exceeded", 0),
        "tracked_at_receiver": _admitted(target),
        "rss_growth_bytes": growth, "engines_survived": flood["engines_survived"],
        "loop_holds_over_10ms": _holds(flood, "over_10ms"),
        "loop_holds_over_100ms": _holds(flood, "over_100ms"),
        "fair": bool(ping_ok and not connects.get("failed") and connects.get("ok")
                     and _flowed(flood["established"]) and flood["engines_survived"]),
    }


def hostile_figures(hostile: dict[str, Any] | None) -> dict[str, Any] | None:
    if not hostile:
        return None
    idle = hostile["idle"]["ping"]
    return {"idle_ping_p50_ms": idle.get("p50_ms"), "idle_ping_p99_ms": idle.get("p99_ms"),
            "idle_connects_ok": hostile["idle"]["connects"].get("ok", 0),
            "floods": [flood_figures(f, idle.get("p99_ms")) for f in hostile["floods"]]}
