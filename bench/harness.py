"""`smartnic bench`: every measurement of the benchmark in one run, and the figures.

`run(settings, progress)` runs, in order: (a) flow-cache hits (bench.inmemory.fast_sweep),
(c) the naive baseline (naive_sweep), (b) the slow path (bench.slowpath) with profiles of
the slow path and of hits, the hit path's kernel stages (bench.kernels), (e) memory per
tracked connection (bench.ctmemory), the SYN flood (bench.flood) and, unless skipped,
(d) end to end over real ports (bench.e2e), one TCP stream at the VPC's MTU over them
(bench.tcp) and (f) `hostile`: a VM flooding new connections beside bystanders on real
namespaces (bench.hostile).
A step that fails is recorded with its error and the others still run. Returns a results
dict; `figures(results)` extracts the `--json` figures (keys `FIGURE_KEYS`, `E2E_KEYS`).
`QUICK` fits in under three minutes; `FULL` is what docs/benchmarks.md is written from.
The e2e figures are those of `smartnic up` as built by default (the underlay on AF_PACKET
rings); `smartnic_udp_*` add the same with the underlay on a UDP socket, and
`smartnic_adaptive_*` / `smartnic_busy_*` with `up --poll adaptive` (engines on the shared
CPU) and `up --poll busy` (a core per host engine). `tcp_gbps` and `tcp_cores_per_gbps`
map "smartnic", "kernel" and "ovs" to the TCP stream's Gb/s and host CPU cores per Gb/s.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from bench.ctmemory import measure_memory_isolated
from bench.e2e import run_e2e
from bench.flood import measure_flood
from bench.hostile import run_hostile
from bench.hostile_figures import hostile_figures
from bench.inmemory import HEADLINE_FLOWS, fast_sweep, naive_sweep
from bench.kernels import kernel_breakdown
from bench.machine import machine
from bench.slowpath import measure_slowpath, profile_hits, profile_slowpath
from bench.tcp import run_tcp

HEADLINE_BYTES = 64
FIGURE_KEYS = ("fastpath_mpps", "fastpath_decap_mpps", "naive_mpps", "slowpath_cps",
               "bytes_per_connection", "one_frame_us", "slowpath_cps_receiver")
E2E_KEYS = ("smartnic_pps", "kernel_pps", "ovs_pps", "smartnic_rtt_p50_us",
            "smartnic_rtt_p99_us", "kernel_rtt_p50_us", "kernel_rtt_p99_us", "ovs_rtt_p99_us",
            "smartnic_busy_rtt_p50_us", "smartnic_busy_rtt_p99_us",
            "smartnic_adaptive_rtt_p50_us", "smartnic_adaptive_rtt_p99_us", "tcp_gbps",
            "tcp_cores_per_gbps")
TCP_FIGURE_DATAPATHS = ("smartnic", "kernel", "ovs")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    quick: bool
    flow_counts: tuple[int, ...]
    frame_sizes: tuple[int, ...]
    seconds: float  # per rate sample
    repeats: int  # rate samples (median reported)
    install_budget_s: float
    pool_cap: int  # most packets a hit measurement replays (the datapath picks below it)
    slowpath_connections: int
    slowpath_repeats: int
    profile_connections: int
    memory_connections: int
    memory_budget_s: float
    flood_established: int
    flood_capacity: int
    flood_packets: int
    e2e: bool
    e2e_seconds: float
    e2e_samples: int
    rtt_count: int
    tcp_seconds: float  # the TCP stream's length
    hostile_rates: tuple[float | None, ...]  # SYNs/s; None: as fast as the generator goes
    hostile_seconds: float
    hostile_pings: int
    hostile_connects: int


FULL = Settings(quick=False, flow_counts=(1, 1000, 100_000, 1_000_000), frame_sizes=(64, 1500),
                seconds=1.0, repeats=5, install_budget_s=900.0, pool_cap=1 << 20,
                slowpath_connections=20_000,
                slowpath_repeats=3, profile_connections=5000, memory_connections=1_000_000,
                memory_budget_s=600.0, flood_established=1000, flood_capacity=32_768,
                flood_packets=100_000, e2e=True, e2e_seconds=3.0, e2e_samples=3,
                rtt_count=1000, tcp_seconds=5.0, hostile_rates=(8_000, 25_000, 100_000, None),
                hostile_seconds=6.0, hostile_pings=300, hostile_connects=30)
QUICK = Settings(quick=True, flow_counts=(1, 1000, 10_000), frame_sizes=(64, 1500),
                 seconds=0.25, repeats=3, install_budget_s=30.0, pool_cap=1 << 20,
                 slowpath_connections=3000,
                 slowpath_repeats=2, profile_connections=1000, memory_connections=100_000,
                 memory_budget_s=20.0, flood_established=100, flood_capacity=2048,
                 flood_packets=8000, e2e=True, e2e_seconds=1.5, e2e_samples=1, rtt_count=200,
                 tcp_seconds=2.0,
                 hostile_rates=(25_000, None), hostile_seconds=3.0, hostile_pings=100,
                 hostile_connects=10)


def settings_for(quick: bool, skip_e2e: bool) -> Settings:
    chosen = QUICK if quick else FULL
    return replace(chosen, e2e=False) if skip_e2e else chosen


def _steps(s: Settings, progress: Progress) -> list[tuple[str, Callable[[], Any]]]:
    flows, sizes = list(s.flow_counts), list(s.frame_sizes)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("fast", lambda: fast_sweep(flows, sizes, s.seconds, s.repeats, progress,
                                    s.install_budget_s, s.pool_cap)),
        ("naive", lambda: naive_sweep(flows, sizes, s.seconds, s.repeats, progress,
                                      s.pool_cap)),
        ("slowpath", lambda: measure_slowpath(s.slowpath_connections, s.slowpath_repeats)),
        ("profile_slowpath", lambda: profile_slowpath(s.profile_connections)),
        ("profile_hits", lambda: profile_hits(HEADLINE_FLOWS)),
        ("kernels", lambda: kernel_breakdown(HEADLINE_FLOWS)),
        ("memory", lambda: measure_memory_isolated(s.memory_connections, s.memory_budget_s)),
        ("flood", lambda: measure_flood(s.flood_established, s.flood_capacity,
                                        s.flood_packets, s.seconds, s.repeats)),
    ]
    if s.e2e:
        steps.append(("e2e", lambda: run_e2e(s.e2e_seconds, s.rtt_count, s.e2e_samples,
                                             progress)))
        steps.append(("tcp", lambda: run_tcp(s.tcp_seconds, progress)))
        steps.append(("hostile", lambda: run_hostile(list(s.hostile_rates), s.hostile_seconds,
                                                     s.hostile_pings, s.hostile_connects,
                                                     progress)))
    return steps


def run(settings: Settings, progress: Progress) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "settings": asdict(settings),
                               "step_s": {}, "errors": {}}
    for name, step in _steps(settings, progress):
        progress(f"step {name}")
        start = time.perf_counter()
        try:
            results[name] = step()
        except Exception as error:  # a failed step is reported; the others still run
            results["errors"][name] = f"{type(error).__name__}: {error}"
            if os.environ.get("SMARTNIC_BENCH_TRACEBACK"):
                results["errors"][name] += "\n" + traceback.format_exc()
            progress(f"step {name} failed: {results['errors'][name]}")
        results["step_s"][name] = time.perf_counter() - start
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["figures"] = figures(results)
    return results


def find_case(sweep: dict[str, Any] | None, flows: int, frame_bytes: int) -> dict[str, Any]:
    for case in (sweep or {}).get("cases", []):
        if case["flows"] == flows and case["frame_bytes"] == frame_bytes:
            return dict(case)
    return {}


def _mega(value: float | None) -> float | None:
    return None if value is None else value / 1e6


def _tcp_figures(tcp: dict[str, Any] | None) -> dict[str, dict[str, float | None]]:
    """Gb/s and host CPU cores per Gb/s of the TCP stream, per datapath (None: not run)."""
    tcp = tcp or {}
    return {key: {name: (tcp.get(name) or {}).get(key) for name in TCP_FIGURE_DATAPATHS}
            for key in ("gbps", "cpu_cores_per_gbps")}


def _e2e_figures(e2e: dict[str, Any] | None,
                 tcp: dict[str, Any] | None) -> dict[str, Any]:
    e2e = e2e or {}
    tcp_figures = _tcp_figures(tcp)

    def get(name: str, key: str) -> float | None:
        value = e2e.get(name, {}).get(key)
        return None if value is None else float(value)

    return {"smartnic_pps": get("smartnic", "pps"), "kernel_pps": get("kernel", "pps"),
            "ovs_pps": get("ovs", "pps"), "null_pps": get("null", "pps"),
            "smartnic_rtt_p50_us": get("smartnic", "rtt_p50_us"),
            "smartnic_rtt_p99_us": get("smartnic", "rtt_p99_us"),
            "kernel_rtt_p50_us": get("kernel", "rtt_p50_us"),
            "kernel_rtt_p99_us": get("kernel", "rtt_p99_us"),
            "ovs_rtt_p99_us": get("ovs", "rtt_p99_us"),
            "smartnic_udp_pps": get("smartnic-udp", "pps"),
            "smartnic_udp_rtt_p50_us": get("smartnic-udp", "rtt_p50_us"),
            "smartnic_udp_rtt_p99_us": get("smartnic-udp", "rtt_p99_us"),
            **{f"smartnic_{mode}_{key}": get(f"smartnic-{mode}", key)
               for mode in ("adaptive", "busy")
               for key in ("pps", "rtt_p50_us", "rtt_p99_us")},
            "tcp_gbps": tcp_figures["gbps"],
            "tcp_cores_per_gbps": tcp_figures["cpu_cores_per_gbps"]}


def _one_frame(single: dict[str, float] | None) -> dict[str, float | None]:
    """Median µs of a one-frame batch through each engine (bench.inmemory)."""
    single = single or {}
    return {side: single.get(f"{side}_p50_us") for side in ("encap", "decap")}


def figures(results: dict[str, Any]) -> dict[str, Any]:
    """The `--json` figures; a figure whose step did not run or failed is None."""
    fast = find_case(results.get("fast"), HEADLINE_FLOWS, HEADLINE_BYTES)
    naive = find_case(results.get("naive"), HEADLINE_FLOWS, HEADLINE_BYTES)
    slow = results.get("slowpath") or {}
    memory = results.get("memory") or {}
    flood = results.get("flood") or {}
    return {
        "fastpath_mpps": _mega(fast.get("encap_pps")),
        "fastpath_decap_mpps": _mega(fast.get("decap_pps")),
        "naive_mpps": _mega(naive.get("encap_pps")),
        "slowpath_cps": (slow.get("datapath") or {}).get("sender_cps"),
        "slowpath_cps_receiver": (slow.get("datapath") or {}).get("receiver_cps"),
        "fastpath_100k_mpps": _mega(find_case(results.get("fast"), 100_000,
                                              HEADLINE_BYTES).get("encap_pps")),
        "bytes_per_connection": memory.get("bytes_per_connection"),
        "e2e": _e2e_figures(results.get("e2e"), results.get("tcp")),
        "fastpath_datapath": (results.get("fast") or {}).get("kind"),
        "naive_decap_mpps": _mega(naive.get("decap_pps")),
        "flood_established_pps": flood.get("established_during_flood_pps"),
        "hostile": hostile_figures(results.get("hostile")),
        "one_frame_us": _one_frame((results.get("fast") or {}).get("single_packet")),
        "quick": results["settings"]["quick"],
    }
