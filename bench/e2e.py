"""Measurement (d): VM to VM across two hosts over real ports — smartnic and the anchors,
in one run, in the same kind of namespaces, with the same generator and counters.

`SmartnicTopology(underlay)`: `smartnic up` (runtime.orchestrate.up, run as a child
process with a deadline) of the benchmark cloud (bench.policy: AWS-maximum policy on both
ENIs) under a unique prefix; every engine process (both hosts and the edge) is pinned to
`datapath_cpus()`, the CPUs the traffic generator leaves free, as the OVS anchor pins
ovs-vswitchd; yields an `AnchorTopology` whose client/server are the VM namespaces of
eni-client (host-1) and eni-server (host-2). `down` removes everything even on failure.
`run_e2e(seconds, rtt_count, pps_samples, progress)`: smartnic (as `up` builds it by
default: the underlay on AF_PACKET rings; on a UDP socket: "smartnic-udp"; polling
`adaptive` on the shared CPU; polling `busy` with a core per host engine), the null
forwarder (the same topology and ports moving frames with no packet work:
bench/anchors/null.py), kernel and OVS
(`bench.anchors.measure_topology`: idle ping RTT p50/p99, then 64 B UDP delivered at the
server VM), one after the other; a datapath that cannot run here is reported with its
error instead of numbers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import yaml

from bench.anchors import KernelAnchor, OvsAnchor, measure_topology
from bench.anchors.null import NullForwarder
from bench.anchors.topology import AnchorTopology
from bench.netns import datapath_cpus, run_child, wait_for_ping
from bench.policy import CLIENT, SERVER, aws_max_config
from smartnic.runtime import orchestrate

Progress = Callable[[str], None]
UP_TIMEOUT_S = 90.0
DOWN_TIMEOUT_S = 60.0


def _pin(pids: list[int], cpus: list[int]) -> None:
    """Every thread of every process onto `cpus`."""
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", ",".join(map(str, cpus)), str(pid)],
                       capture_output=True, check=True)


def _engine_pids(topo: orchestrate.Topology) -> list[int]:
    report = orchestrate.status(topo)
    pids = [h["engine_pid"] for h in report["hosts"] if h.get("engine_pid")]
    edge = report["edge"].get("engine_pid")
    return [int(p) for p in [*pids, edge] if p]


def _smartnic(args: list[str], timeout_s: float) -> None:
    """`smartnic <args>` as a child process, killed by PID if it outlives `timeout_s`."""
    run_child([sys.executable, "-m", "smartnic.cli.main", *args], timeout_s,
              f"smartnic {args[0]}")


@contextmanager
def SmartnicTopology(underlay: str = orchestrate.DEFAULT_UNDERLAY, *,  # noqa: N802
                     poll: str = "interrupt", own_cores: bool = False,
                     config: dict[str, Any] | None = None,
                     pair: tuple[str, str] = (CLIENT["eni"], SERVER["eni"])
                     ) -> Iterator[AnchorTopology]:
    """`smartnic up` of the benchmark cloud (or `config`), engines pinned; always brought
    down. `up` and `down` run as child processes with a deadline, so a stuck netlink
    exchange cannot hang the benchmark (teardown also sweeps namespaces by prefix).
    `underlay`: how the engines reach the underlay (`up --underlay`: "afpacket" rings, the
    default, or a "udp" socket). `poll`: `up --poll`; with `own_cores` each host engine
    gets a CPU of its own (`up --cpus`, the co-processor's dedicated core; the generator
    then shares the client host's) instead of all engines on `datapath_cpus()`. `pair`: the
    client and server ENIs (the client must reach the server by ping before this
    yields)."""
    workdir = Path(tempfile.mkdtemp(prefix="snb-s-"))
    config_path = workdir / "cloud.yaml"
    config = config or aws_max_config()
    config_path.write_text(yaml.safe_dump(config))
    prefix = "snb" + secrets.token_hex(2)
    try:
        default = underlay == orchestrate.DEFAULT_UNDERLAY
        mode = [] if default else ["--underlay", underlay]
        mode += [] if poll == "interrupt" else ["--poll", poll]
        cores = ",".join(map(str, sorted(os.sched_getaffinity(0))))
        mode += ["--cpus", cores] if own_cores else []
        _smartnic(["up", str(config_path), "--name", prefix, "--flowlogs",
                   str(workdir / "flowlogs"), *mode], UP_TIMEOUT_S)
        topo = orchestrate.topology(prefix)
        layout = topo.plan()
        pids = _engine_pids(topo)
        if not own_cores:
            _pin(pids, datapath_cpus())
        client = layout.vms[pair[0]].netns
        server = layout.vms[pair[1]].netns
        server_ip = next(e["ips"][0] for e in config["enis"] if e["id"] == pair[1])
        wait_for_ping(client, server_ip, timeout=30.0)
        name = "-".join(["smartnic", *([] if default else [underlay]),
                         *([poll] if poll != "interrupt" else [])])
        yield AnchorTopology(name=name, client_ns=client, server_ns=server,
                             server_ip=server_ip, namespaces=[v.netns for v in
                                                              layout.vms.values()],
                             pids=pids, workdir=workdir, prefix=prefix)
    finally:
        try:
            _smartnic(["down", "--name", prefix], DOWN_TIMEOUT_S)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


DATAPATHS: dict[str, Callable[[], AbstractContextManager[AnchorTopology]]] = {
    "smartnic": SmartnicTopology,
    "smartnic-udp": lambda: SmartnicTopology("udp"),
    "smartnic-adaptive": lambda: SmartnicTopology(poll="adaptive"),
    "smartnic-busy": lambda: SmartnicTopology(poll="busy", own_cores=True),
    "null": NullForwarder,
    "kernel": KernelAnchor, "ovs": OvsAnchor,
}


def run_e2e(seconds: float, rtt_count: int, pps_samples: int,
            progress: Progress) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, factory in DATAPATHS.items():
        progress(f"end to end: {name} (build, ping, {pps_samples} x {seconds:g} s of UDP)")
        try:
            with factory() as topo:
                results[name] = measure_topology(topo, seconds, rtt_count=rtt_count,
                                                 rtt_interval=0.005, pps_samples=pps_samples)
        except Exception as error:  # one datapath that cannot run must not hide the others
            results[name] = {"error": f"{type(error).__name__}: {error}"}
    return results
