"""Measurement (d), TCP: one iperf3 stream VM to VM across two hosts at the VPC's MTU (9001),
through smartnic and the anchors, with the host CPU it cost.

`measure_tcp(topo, seconds)`: an iperf3 server (one test, `-1`) in the server VM namespace,
then one client stream of `seconds` from the client VM namespace, both pinned to the CPU the
datapath leaves to the VMs (`generator_cpu`: engines and ovs-vswitchd run on the others);
the host CPU of the run is measured around the client (bench.hostcpu: the datapath's own
user time plus the machine's kernel time). Returns {"gbps" (received), "sender_gbps",
"retransmits", "mss", "vm_mtu", "seconds", "cpu_s", "cpu_cores", "cpu_cores_per_gbps",
"datapath_user_cpu_s", "kernel_cpu_s"}.
`run_tcp(seconds, progress)`: every datapath of `TCP_DATAPATHS` in turn (smartnic as `up`
builds it by default; kernel VXLAN + nftables with the VMs' offloads on, and off; OVS
userspace), each built, measured and torn down; one that cannot run is reported with its
error. `parse_iperf3(doc)`: the figures of one iperf3 `--json` report.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from bench.anchors import KernelAnchor, OvsAnchor
from bench.anchors.topology import ALLOWED_TCP_PORT, AnchorTopology
from bench.e2e import SmartnicTopology
from bench.hostcpu import CpuWindow
from bench.netns import BenchError, generator_cpu, sh, stop_process, wait_listening

Progress = Callable[[str], None]
LISTEN_TIMEOUT_S = 10.0
TCP_DATAPATHS: dict[str, Callable[[], AbstractContextManager[AnchorTopology]]] = {
    "smartnic": SmartnicTopology,
    "kernel": KernelAnchor,
    "kernel-no-offload": lambda: KernelAnchor(offloads=False),
    "ovs": OvsAnchor,
}


def parse_iperf3(doc: dict[str, Any]) -> dict[str, Any]:
    """Received and sent Gb/s, bytes, seconds, retransmits and MSS of one TCP test;
    BenchError with iperf3's own message when the test failed."""
    if doc.get("error"):
        raise BenchError(f"iperf3: {doc['error']}")
    end = doc.get("end") or {}
    received, sent = end.get("sum_received"), end.get("sum_sent")
    if not received or not sent:
        raise BenchError("iperf3 reported no totals")
    start = doc.get("start") or {}
    return {"gbps": received["bits_per_second"] / 1e9,
            "sender_gbps": sent["bits_per_second"] / 1e9,
            "bytes": int(received["bytes"]), "seconds": float(received["seconds"]),
            "retransmits": sent.get("retransmits"), "mss": start.get("tcp_mss_default")}


def _interface_mtu(ns: str, dev: str = "eth0") -> int:
    words = sh(["ip", "-o", "link", "show", dev], ns).split()
    return int(words[words.index("mtu") + 1])


def measure_tcp(topo: AnchorTopology, seconds: float = 3.0) -> dict[str, Any]:
    """One TCP stream client → server of `topo`; see the module docstring."""
    cpu, port = str(generator_cpu()), str(ALLOWED_TCP_PORT)
    whole_s = str(max(1, round(seconds)))  # iperf3 takes whole seconds
    server = subprocess.Popen(["ip", "netns", "exec", topo.server_ns, "iperf3", "-s", "-1",
                               "-p", port, "-A", cpu], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        if not wait_listening(topo.server_ns, ALLOWED_TCP_PORT,
                              time.monotonic() + LISTEN_TIMEOUT_S, server):
            raise BenchError(f"iperf3 server in {topo.server_ns} did not listen on {port}")
        with CpuWindow(topo.pids) as window:
            out = sh(["iperf3", "-c", topo.server_ip, "-p", port, "-t", whole_s,
                      "-A", cpu, "--json"], topo.client_ns, check=False,
                     timeout=seconds + 30)
    finally:
        stop_process(server)
    figures = parse_iperf3(json.loads(out or "{}"))
    cpu_s = window.result()
    cores = cpu_s["cpu_s"] / cpu_s["wall_s"]
    return {**figures, **cpu_s, "cpu_cores": cores,
            "cpu_cores_per_gbps": cores / figures["gbps"] if figures["gbps"] else None,
            "vm_mtu": _interface_mtu(topo.client_ns)}


def run_tcp(seconds: float, progress: Progress) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, factory in TCP_DATAPATHS.items():
        progress(f"end to end TCP: {name} (build, one iperf3 stream of {seconds:g} s)")
        try:
            with factory() as topo:
                results[name] = measure_tcp(topo, seconds)
        except Exception as error:  # one datapath that cannot run must not hide the others
            results[name] = {"error": f"{type(error).__name__}: {error}"}
    return results
