"""Measurement (b): new connections per second with the AWS-maximum policy, and profiles
of new connections and of flow-cache hits.

`measure_slowpath(connections, repeats)`: on a fresh bed each time, `connections` first
packets of distinct UDP 5-tuples (64 B) go from the client VM through host-1 (the sending
stages: src_dst_check, src_sg_egress over 300 peers, route over 100 routes,
src_nacl_egress over 20 rules, mapping, encapsulation, conntrack entry, flow install) and
the resulting underlay frames through host-2 (decap, vpc_check, dst_nacl_ingress,
dst_sg_ingress, conntrack entry, delivery). Every packet starts a new tracked connection
on both ENIs and is delivered (checked), decided by the admission kernels (a packet left
to the Python slow path fails the measurement). Two entry points, each timed per side:
  - the datapath's: `engine.fastpath.process` on PacketBatches of 1024 frames, built
    before timing (what the hit rates of (a) are measured on);
  - the engine's list API: `process_vm_batch` / `process_underlay_batch`, 256 frames of
    `bytes` a call, which adds a Python object per frame in and out.
Reported per entry point: sender-side and receiver-side rates (each side runs on its own
host's core) and the rate when one core does both halves (n / (t_send + t_receive)).
The headline `cps` is the datapath's slower side: what one engine core admits.
`profile_slowpath(connections)` / `profile_hits(...)`: cProfile of the same work; the top
entries by own time and the cumulative share of each pipeline stage.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.bed import Bed, deliver_to_server, install, make_bed, send_from_client
from bench.flows import as_bytes, flow_frames
from bench.policy import CLIENT, SERVER

# (module, function) whose cumulative time is one pipeline stage's share of a profile.
STAGES = {
    ("packet/parse.py", "parse_frame"): "parse",
    ("dataplane/stages/security_group.py", "sg_egress"): "src_sg_egress",
    ("dataplane/stages/security_group.py", "sg_ingress"): "dst_sg_ingress",
    ("dataplane/stages/security_group.py", "_untracked"): "SG-R20 untracked check",
    ("dataplane/stages/route.py", "route"): "route",
    ("dataplane/stages/nacl.py", "nacl_egress"): "src_nacl_egress",
    ("dataplane/stages/nacl.py", "nacl_ingress"): "dst_nacl_ingress",
    ("dataplane/stages/forward.py", "forward"): "mapping",
    ("dataplane/intake.py", "receive"): "decap (intake)",
    ("dataplane/runner.py", "run"): "action runner",
    ("dataplane/runner.py", "is_current"): "cache validity check",
    ("dataplane/flowtable.py", "install"): "flow install",
    ("dataplane/conntrack/table.py", "create"): "conntrack create",
    ("dataplane/conntrack/table.py", "lookup"): "conntrack lookup",
    ("packet/overlay.py", "encapsulate"): "encapsulation",
    ("dataplane/fastpath/classify.py", "classify_vm"): "fast path: classify VM frames",
    ("dataplane/fastpath/classify.py", "classify_underlay"): "fast path: classify underlay",
    ("dataplane/fastpath/replay.py", "replay"): "fast path: replay kernel",
    ("dataplane/fastpath/core.py", "flush"): "fast path: counter and flow-log flush",
    ("dataplane/fastpath/admit_scan.py", "scan"): "admission: collect misses",
    ("dataplane/admission/ordered.py", "decide_vm_in_order"): "admission: decide (sender)",
    ("dataplane/admission/ordered.py", "decide_underlay_in_order"):
        "admission: decide (receiver)",
    ("dataplane/fastpath/admit_install.py", "install"): "admission: install flow entries",
    ("dataplane/fastpath/flowtable.py", "grow"): "flow table growth",
    ("dataplane/conntrack/table.py", "_grow_rows"): "conntrack growth",
    ("dataplane/fastpath/batch.py", "from_frames"): "list API: frames into a batch",
    ("dataplane/fastpath/host_batches.py", "merge"): "list API: emissions out",
}
PROFILE_MIN_S = 0.5  # profile at least this long, so fast kernels leave enough samples


def _frames(bed: Bed, connections: int) -> list[bytes]:
    return as_bytes(flow_frames(bed.program, np.arange(connections), 64))


def _check(bed: Bed, connections: int, delivered: int) -> None:
    tracked = (bed.client.eni_counters(CLIENT["eni"]).get("conntrack_entries"),
               bed.server.eni_counters(SERVER["eni"]).get("conntrack_entries"))
    if tracked != (connections, connections) or delivered != connections:
        raise RuntimeError(f"new-connection run not all new and delivered: tracked {tracked}, "
                           f"delivered {delivered} of {connections}")


def _engine_run(connections: int) -> dict[str, float]:
    """Through the engine's list API (`process_vm_batch` / `process_underlay_batch`)."""
    bed = make_bed()
    frames = _frames(bed, connections)
    start = time.perf_counter()
    underlay = send_from_client(bed, frames)
    sent = time.perf_counter()
    delivered = deliver_to_server(bed, underlay)
    received = time.perf_counter()
    _check(bed, connections, delivered)
    return {"send_s": sent - start, "receive_s": received - sent}


def _refuse_punt(index: int) -> None:
    raise RuntimeError(f"packet {index} of a batch left to the Python slow path: the "
                       "measurement is of admission, so every first packet must be admitted")


def _side(fast: Any, side: int, port: int, batches: list[Any]) -> tuple[float, list[bytes]]:
    """Seconds `batches` take through one engine's datapath, and the frames it emitted
    (copied out of its arena between batches, outside the timed calls)."""
    elapsed, emitted = 0.0, []
    for batch in batches:
        start = time.perf_counter()
        result = fast.process(side, port, batch, _refuse_punt)
        elapsed += time.perf_counter() - start
        emitted += result.emissions.batch.frames()
    return elapsed, emitted


def _datapath_run(connections: int) -> dict[str, float]:
    """Through `engine.fastpath.process` on prepared PacketBatches (admission kernels)."""
    from bench.datapath import FAST_BATCH_PACKETS, UNDERLAY_PORT, UNDERLAY_SIDE, VM_SIDE
    from smartnic.dataplane.fastpath import PacketBatch

    bed = make_bed()
    client, server = bed.client.fastpath, bed.server.fastpath
    if client is None or server is None:
        raise RuntimeError("the engines have no fast path")
    frames = _frames(bed, connections)

    def prepare(chunk: list[bytes]) -> list[Any]:
        return [PacketBatch.from_frames(chunk[i:i + FAST_BATCH_PACKETS])
                for i in range(0, len(chunk), FAST_BATCH_PACKETS)]

    port = client.port_index(f"vm:{CLIENT['eni']}")
    send_s, underlay = _side(client, VM_SIDE, port, prepare(frames))
    receive_s, delivered = _side(server, UNDERLAY_SIDE, UNDERLAY_PORT, prepare(underlay))
    _check(bed, connections, len(delivered))
    return {"send_s": send_s, "receive_s": receive_s}


def _rates(connections: int, runs: list[dict[str, float]]) -> dict[str, Any]:
    both = [connections / (r["send_s"] + r["receive_s"]) for r in runs]
    return {"sender_cps": connections / statistics.median(r["send_s"] for r in runs),
            "receiver_cps": connections / statistics.median(r["receive_s"] for r in runs),
            "both_halves_cps": statistics.median(both), "both_halves_samples": both}


def measure_slowpath(connections: int, repeats: int) -> dict[str, Any]:
    _datapath_run(min(connections, 2048))  # kernels compiled or loaded before timing
    datapath = _rates(connections, [_datapath_run(connections) for _ in range(repeats)])
    engine = _rates(connections, [_engine_run(connections) for _ in range(repeats)])
    return {"connections": connections,
            "cps": min(datapath["sender_cps"], datapath["receiver_cps"]),
            "datapath": datapath, "engine_api": engine}


def _profiled(work: Callable[[], object]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    return pstats.Stats(profiler)


def summarize(stats: pstats.Stats, top: int = 12) -> dict[str, Any]:
    """Top functions by own time, and the cumulative share of each stage function."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values()) or 1.0
    rows = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:top]
    entries = [{"function": f"{name} ({_short(path)}:{line})", "calls": row[1],
                "own_share": row[2] / total, "cumulative_share": row[3] / total}
               for (path, line, name), row in rows]
    stages: dict[str, float] = {}
    for (path, _, name), row in table.items():
        label = STAGES.get((_short(path), name))
        if label is not None:
            stages[label] = row[3] / total
    return {"total_s": total, "top_own": entries,
            "stages": dict(sorted(stages.items(), key=lambda kv: -kv[1]))}


def _short(path: str) -> str:
    marker = "smartnic/"
    return path[path.rindex(marker) + len(marker):] if marker in path else path.rsplit("/")[-1]


def profile_slowpath(connections: int) -> dict[str, Any]:
    bed = make_bed()
    frames = _frames(bed, connections)
    return summarize(_profiled(lambda: install(bed, frames)))


def profile_hits(flows: int) -> dict[str, Any]:
    """cProfile of flow-cache hits (64 B, `flows` installed flows, the datapath's own pool)
    in both directions, repeated for at least `PROFILE_MIN_S`."""
    from bench.datapath import datapath_for
    from bench.inmemory import pool_flows

    bed = make_bed()
    install(bed, _frames(bed, flows))
    path = datapath_for(bed)
    pool = as_bytes(flow_frames(bed.program, pool_flows(flows, path.pool_packets(64), 1), 64))
    encap, decap = path.prepare(pool), path.prepare(path.underlay_frames(pool))

    def work() -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < PROFILE_MIN_S:
            path.encap(encap)
            path.decap(decap)

    summary = summarize(_profiled(work))
    summary["datapath"] = path.label
    return summary
