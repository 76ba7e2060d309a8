"""Inside the hit path: nanoseconds per packet of each kernel stage, per direction.

cProfile sees a numba kernel as one call; this times the stages of `FastPath.process`
separately on the hit pools of (a) (64 B, `flows` installed flows, batches of 1024):
  - classify: frames into key/info columns (VM side: source-MAC check and one parse;
    underlay side: outer Ethernet/IPv4/UDP parse and checksum, VXLAN/Geneve, the
    intake checks, then the inner parse and checksums), keys hashed;
  - process: the whole `process` call (classify + replay + counter flush); replay and
    the rest is process − classify.
`kernel_breakdown(flows, rounds)` -> {"encap": {...}, "decap": {...}} with ns per packet
(the median of `rounds` passes over the pool).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.bed import install, make_bed
from bench.datapath import UNDERLAY_PORT, UNDERLAY_SIDE, VM_SIDE, FastPath, datapath_for
from bench.flows import as_bytes, flow_frames
from bench.inmemory import pool_flows
from bench.policy import CLIENT

POOL_PACKETS = 1 << 15


def _ns_per_packet(work: Callable[[], None], packets: int, rounds: int) -> float:
    work()  # compiled or loaded, caches warm
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) / packets * 1e9)
    return statistics.median(samples)


def _direction(fast: Any, side: int, port: int, batches: list[Any],
               rounds: int) -> dict[str, float]:
    from smartnic.dataplane.fastpath.classify import classify_underlay, classify_vm

    packets = sum(len(b) for b in batches)
    mac, tag = fast.view.vm_ports.get(port, (-1, 0))

    def classify() -> None:
        for batch in batches:
            keys, info = fast._columns_for(len(batch))
            if side == VM_SIDE:
                classify_vm(batch.buf, batch.start, batch.length, mac, tag, keys, info)
            else:
                classify_underlay(batch.buf, batch.start, batch.length, fast.view.admission,
                                  keys, info)

    def process() -> None:
        for batch in batches:
            fast.process(side, port, batch)

    classify_ns = _ns_per_packet(classify, packets, rounds)
    process_ns = _ns_per_packet(process, packets, rounds)
    return {"classify_ns": classify_ns, "process_ns": process_ns,
            "replay_and_rest_ns": process_ns - classify_ns, "mpps": 1e3 / process_ns}


def kernel_breakdown(flows: int, rounds: int = 7) -> dict[str, Any]:
    bed = make_bed()
    install(bed, as_bytes(flow_frames(bed.program, np.arange(flows), 64)))
    path = datapath_for(bed)
    if not isinstance(path, FastPath):
        raise RuntimeError("the engines have no fast path")
    pool = as_bytes(flow_frames(bed.program, pool_flows(flows, POOL_PACKETS, 1), 64))
    encap, decap = path.prepare(pool), path.prepare(path.underlay_frames(pool))
    return {"flows": flows,
            "encap": _direction(path.client_fast, VM_SIDE,
                                path.client_fast.port_index(f"vm:{CLIENT['eni']}"), encap,
                                rounds),
            "decap": _direction(path.server_fast, UNDERLAY_SIDE, UNDERLAY_PORT, decap, rounds)}
