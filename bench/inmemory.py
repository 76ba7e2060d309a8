"""Measurements (a) and (c): flow-cache hits through the engine, and the naive baseline.

`fast_sweep(flow_counts, frame_sizes, seconds, repeats)`: one bed (bench.bed), flows
installed incrementally (flows 0..N-1 through both engines' slow paths), then for every
N and frame size a pool of packets whose flows are drawn uniformly from the N installed
ones is replayed through the encap direction (client VM port -> underlay, host-1) and the
decap direction (underlay -> security group -> server VM port, host-2). Rates are
packets per second on one pinned core, the median of `repeats` samples.
`naive_sweep(...)`: the same traffic through `bench.naive` (no flow cache), for flow counts
up to `NAIVE_MAX_FLOWS` (its per-packet cost does not depend on the count; installing a
million flows through it would only lengthen the run).
Both return a list of dicts: flows, frame_bytes, encap_pps, decap_pps, samples, and
(fast path) forwarded/punted counts that show every packet was a hit; `fast_sweep` also
the latency of one-frame batches at 1k flows (`single_packet_us`).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.bed import Bed, install, make_bed, send_from_client
from bench.datapath import UNDERLAY_SIDE, VM_SIDE, Datapath, datapath_for
from bench.flows import as_bytes, flow_frames
from bench.naive import NaiveHost
from bench.naive_tables import naive_tables
from bench.policy import CLIENT
from bench.timing import Rate, one_core, rate

NAIVE_MAX_FLOWS = 100_000
IDLE_GAP_S = 0.01  # the quiet spell before each "idle" one-frame batch (a ping every 10 ms)
HEADLINE_FLOWS = 1000  # the headline hit rates (64 B, 1k flows); one-frame latency too
INSTALL_CHUNK_FLOWS = 1 << 16
NAIVE_POOL_PACKETS = 4096
Progress = Callable[[str], None]


def pool_flows(flows: int, packets: int, seed: int) -> np.ndarray:
    """`packets` flow numbers drawn uniformly from 0..flows-1 (every flow once if it fits)."""
    rng = np.random.default_rng(seed)
    if flows <= packets:
        return rng.permutation(np.resize(np.arange(flows), packets))
    return rng.integers(0, flows, packets)


def install_flows(bed: Bed, start: int, stop: int) -> None:
    """Flows start..stop-1 through both engines' slow paths, in chunks to bound memory."""
    for first in range(start, stop, INSTALL_CHUNK_FLOWS):
        last = min(stop, first + INSTALL_CHUNK_FLOWS)
        install(bed, as_bytes(flow_frames(bed.program, np.arange(first, last), 64)))


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _case(bed: Bed, path: Datapath, flows: int, frame_bytes: int, seconds: float,
          repeats: int, pool_cap: int) -> dict[str, Any]:
    """Encap first, then decap: building the decap pool sends the pool through host-1's
    batch entry point, which re-learns evicted flows there, so it must not precede the
    encap measurement (host-2's cache is left as the installation made it)."""
    packets = min(path.pool_packets(frame_bytes), pool_cap)
    frames = as_bytes(flow_frames(bed.program, pool_flows(flows, packets,
                                                          seed=flows + frame_bytes), frame_bytes))
    encap_batches = path.prepare(frames)
    encap = rate(lambda: path.encap(encap_batches), seconds, repeats)
    encap_punted = path.punted(encap_batches, VM_SIDE)
    decap_batches = path.prepare(path.underlay_frames(frames))
    decap = rate(lambda: path.decap(decap_batches), seconds, repeats)
    return {"flows": flows, "frame_bytes": frame_bytes, "pool_packets": len(frames),
            "encap_pps": encap.per_s, "decap_pps": decap.per_s,
            "encap_samples": encap.samples, "decap_samples": decap.samples,
            "encap_forwarded": encap.handled, "decap_forwarded": decap.handled,
            "encap_punted": encap_punted,
            "decap_punted": path.punted(decap_batches, UNDERLAY_SIDE)}


def _install_within(bed: Bed, start: int, stop: int, deadline: float) -> bool:
    """Install flows start..stop-1 unless the deadline passes first (then False)."""
    for first in range(start, stop, INSTALL_CHUNK_FLOWS):
        if time.perf_counter() > deadline:
            return False
        install_flows(bed, first, min(stop, first + INSTALL_CHUNK_FLOWS))
    return True


def single_packet_us(bed: Bed, frame: bytes, count: int = 2000,
                     idle_count: int = 200) -> dict[str, float]:
    """Median and p99 µs of one-frame batches through the engines' batch entry points
    (`process_vm_batch` on host-1, `process_underlay_batch` on host-2: what the engine
    loop does, emissions listed as bytes): the engine's share of a ping's latency. Back to
    back first (caches warm), then `idle_count` more with IDLE_GAP_S of sleep before each
    (`*_idle_p50_us`): what a packet after a quiet spell pays, as pings on a real port do."""
    underlay = send_from_client(bed, [frame])[0]
    steps: dict[str, Callable[[], object]] = {
        "encap": lambda: bed.client.process_vm_batch(CLIENT["eni"], [frame]),
        "decap": lambda: bed.server.process_underlay_batch([underlay])}
    result = {}
    for name, step in steps.items():
        warm = _durations(step, count, 0.0)
        result[f"{name}_p50_us"] = float(np.percentile(warm, 50)) * 1e6
        result[f"{name}_p99_us"] = float(np.percentile(warm, 99)) * 1e6
        idle = _durations(step, idle_count, IDLE_GAP_S)
        result[f"{name}_idle_p50_us"] = float(np.percentile(idle, 50)) * 1e6
    return result


def _durations(step: Callable[[], object], rounds: int, gap_s: float) -> list[float]:
    values = []
    for _ in range(rounds):
        if gap_s:
            time.sleep(gap_s)
        start = time.perf_counter()
        step()
        values.append(time.perf_counter() - start)
    return values


def fast_sweep(flow_counts: list[int], frame_sizes: list[int], seconds: float, repeats: int,
               progress: Progress, install_budget_s: float = float("inf"),
               pool_cap: int = 1 << 30) -> dict[str, Any]:
    """See the module docstring. Installing flows through the slow path may take long: a
    flow count whose installation would pass `install_budget_s` in total is skipped, and
    the result says so. `pool_cap` bounds the replayed pool (the datapath picks its size)."""
    bed = make_bed()
    path = datapath_for(bed)
    cases: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    latency: dict[str, float] = {}
    installed, install_s = 0, 0.0
    rss_before = _rss_bytes()
    with one_core() as cpu:
        for flows in sorted(flow_counts):
            progress(f"installing flows {installed}..{flows - 1} through the slow path")
            began = time.perf_counter()
            done = _install_within(bed, installed, flows, began + install_budget_s - install_s)
            install_s += time.perf_counter() - began
            if not done:
                skipped.append({"flows": flows, "reason": f"installing {flows} flows through "
                                f"the slow path exceeded the {install_budget_s:.0f} s budget"})
                break
            installed = flows
            if flows == HEADLINE_FLOWS:
                latency = single_packet_us(bed, as_bytes(flow_frames(bed.program,
                                                                     np.arange(1), 64))[0])
            for size in frame_sizes:
                progress(f"{path.kind}: {flows} flows, {size} B frames")
                cases.append(_case(bed, path, flows, size, seconds, repeats, pool_cap))
    return {"datapath": path.label, "kind": path.kind, "cpu": cpu, "cases": cases,
            "cache_rows": path.table_rows(),
            "single_packet": latency, "skipped": skipped, "installed_flows": installed,
            "install_s": install_s,
            "flow_cache_entries": len(bed.client.flows) + len(bed.server.flows),
            "peak_rss_growth_bytes": max(_rss_bytes() - rss_before, 0)}


def _naive_case(flows: int, frame_bytes: int, hosts: tuple[NaiveHost, NaiveHost],
                program: Any, seconds: float, repeats: int, pool_cap: int) -> dict[str, Any]:
    client, server = hosts
    packets = min(NAIVE_POOL_PACKETS, pool_cap)
    frames = as_bytes(flow_frames(program, pool_flows(flows, packets, seed=flows + frame_bytes),
                                  frame_bytes))
    underlay = [u for f in frames if (u := client.from_vm(CLIENT["eni"], f)[1]) is not None]
    encap = rate(lambda: client.vm_batch(CLIENT["eni"], frames), seconds, repeats)
    decap = rate(lambda: server.underlay_batch(underlay), seconds, repeats)
    return {"flows": flows, "frame_bytes": frame_bytes, "encap_pps": encap.per_s,
            "decap_pps": decap.per_s, "encap_samples": encap.samples,
            "decap_samples": decap.samples, "encap_forwarded": encap.handled,
            "decap_forwarded": decap.handled}


def naive_sweep(flow_counts: list[int], frame_sizes: list[int], seconds: float,
                repeats: int, progress: Progress, pool_cap: int = 1 << 30) -> dict[str, Any]:
    bed = make_bed()  # only for the Program and the frames' addresses
    hosts = (NaiveHost(naive_tables(bed.program, "host-1")),
             NaiveHost(naive_tables(bed.program, "host-2")))
    cases, installed = [], 0
    with one_core():
        for flows in sorted(n for n in flow_counts if n <= NAIVE_MAX_FLOWS):
            frames = as_bytes(flow_frames(bed.program, np.arange(installed, flows), 64))
            hosts[1].underlay_batch([u for f in frames
                                     if (u := hosts[0].from_vm(CLIENT["eni"], f)[1])])
            installed = flows
            for size in frame_sizes:
                progress(f"naive: {flows} flows, {size} B frames")
                cases.append(_naive_case(flows, size, hosts, bed.program, seconds, repeats,
                                         pool_cap))
    return {"cases": cases}


__all__ = ["HEADLINE_FLOWS", "NAIVE_MAX_FLOWS", "Rate", "fast_sweep", "naive_sweep",
           "pool_flows", "single_packet_us"]
