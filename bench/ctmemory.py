"""Measurement (e): memory per tracked connection, with `connections` of them (1M).

A fresh `ConntrackTable` (the engine's own) with one ENI whose capacity exceeds the count;
`connections` distinct UDP connections created through its public `create` (the slow
path's call), clock still. Three views of the memory they hold:
  - tracemalloc: bytes allocated through Python's allocators and still held after the
    creations (numpy reports its array buffers to tracemalloc, so rows and index count;
    temporaries freed during the loop do not). The headline `bytes_per_connection`: it
    is exactly what the table keeps for its connections, independent of what else the
    process holds and of allocator page reuse.
  - `table.nbytes()` (the arrays' own accounting), when the table offers it;
  - the RSS delta (/proc/self/statm), which adds allocator slack and is noisier.
Also reported: seconds the creations took (creates per second through the Python API).
`measure_memory_isolated` runs the same in a new interpreter (a child process), so the RSS
view is not flattered by memory earlier steps freed (the harness uses it).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.netns import run_child
from smartnic.dataplane.conntrack.key import flow_tuple
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts

ENI = "eni-memory"
CLIENT_IP = 0x0A00010A  # 10.0.1.10
SERVER_IP = 0x0A00020A  # 10.0.2.10
NOW_S = 1_767_225_600.0
GRACE_S = 120.0  # interpreter start, imports and the final collection
REPO = Path(__file__).resolve().parents[1]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _create_all(table: ConntrackTable, connections: int, deadline: float) -> int:
    created = 0
    for i in range(connections):
        if i % 4096 == 0 and time.perf_counter() > deadline:
            break
        # distinct 5-tuples: 64512 source ports x as many destination addresses as needed
        tup = flow_tuple(4, 17, CLIENT_IP, SERVER_IP + (i // 64512), 1024 + i % 64512, 5201)
        assert tup is not None
        created += table.create(ENI, tup, "egress", NOW_S) is not None
    return created


def _warm_up() -> None:
    """Compile (or load) the table's kernels first: their memory is not the connections'."""
    table = ConntrackTable()
    table.configure_eni(ENI, 16, ConntrackTimeouts())
    _create_all(table, 8, float("inf"))
    tup = flow_tuple(4, 17, CLIENT_IP, SERVER_IP, 1024, 5201)
    assert tup is not None
    table.lookup(ENI, tup, NOW_S)
    table.counters(ENI, NOW_S)


def measure_memory(connections: int, budget_s: float = float("inf")) -> dict[str, Any]:
    """See the module docstring; creation stops early when `budget_s` runs out (the
    result's `connections` then says how many were made)."""
    _warm_up()
    gc.collect()
    rss_before = _rss_bytes()
    tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0]
    table = ConntrackTable()
    table.configure_eni(ENI, connections + 1, ConntrackTimeouts())
    start = time.perf_counter()
    created = _create_all(table, connections, start + budget_s)
    elapsed = time.perf_counter() - start
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - traced_before
    tracemalloc.stop()
    rss = _rss_bytes() - rss_before
    counted = table.counters(ENI, NOW_S).get("conntrack_entries", created)
    nbytes = table.nbytes() if hasattr(table, "nbytes") else None
    result = {
        "connections": counted, "bytes_per_connection": traced / max(counted, 1),
        "traced_bytes": traced, "rss_growth_bytes": rss,
        "rss_bytes_per_connection": rss / max(counted, 1),
        "array_bytes": nbytes,
        "array_bytes_per_connection": nbytes / max(counted, 1) if nbytes else None,
        "requested": connections, "create_s": elapsed, "creates_per_s": created / elapsed,
        "method": "tracemalloc: bytes held after the creations (numpy buffers included)"}
    del table
    gc.collect()
    return result


def measure_memory_isolated(connections: int, budget_s: float = float("inf")) -> dict[str, Any]:
    """`measure_memory` in a new interpreter (a clean heap), killed by PID if it overruns
    its budget by more than `GRACE_S`."""
    code = ("import json, sys; from bench.ctmemory import measure_memory; "
            "print(json.dumps(measure_memory(int(sys.argv[1]), float(sys.argv[2]))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    out = run_child([sys.executable, "-c", code, str(connections), str(budget_s)],
                    None if budget_s == float("inf") else budget_s + GRACE_S,
                    "memory measurement", env)
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result
