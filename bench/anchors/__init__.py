"""Reference datapaths for smartnic's benchmark, and the measurements run against them.

- `KernelAnchor(offloads=True)`: kernel VXLAN + nftables conntrack filter, routed by the
  host namespaces (`offloads=False`: the VMs' TSO and checksum offloads off).
- `OvsAnchor(port_type="system"|"afxdp")`: Open vSwitch userspace (netdev) datapath, VXLAN
  tunnel + OpenFlow conntrack rules, one ovsdb-server/ovs-vswitchd pair per host.
- `measure_udp_pps`, `measure_rtt`: see `bench.traffic`.
- `measure_topology(topo, seconds)`: idle RTT then 64-byte UDP packet rate between the
  client and server of any `AnchorTopology` (an anchor's, or smartnic's in bench.e2e).
- `run_anchor(name, seconds)`: build anchor `name` (one of `ANCHORS`), measure idle RTT then
  64-byte UDP packet rate, tear down; returns
  {"anchor", "pps", "offered_pps", "loss_ratio", "rtt_p50_us", "rtt_p99_us", "rtt_mean_us",
   "frame_bytes", "seconds", "generator", "rtt_method"}.
Each anchor yields an `AnchorTopology` (client/server VM namespaces, server IP).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from bench.anchors.kernel import KernelAnchor
from bench.anchors.ovs import AnchorUnavailable, OvsAnchor
from bench.anchors.topology import ALLOWED_UDP_PORT, AnchorTopology
from bench.traffic import measure_rtt, measure_udp_pps

ANCHORS: dict[str, Callable[[], AbstractContextManager[AnchorTopology]]] = {
    "kernel": KernelAnchor,
    "ovs": OvsAnchor,
    "ovs-afxdp": lambda: OvsAnchor(port_type="afxdp"),
}

__all__ = ["ALLOWED_UDP_PORT", "ANCHORS", "AnchorTopology", "AnchorUnavailable",
           "KernelAnchor", "OvsAnchor", "measure_rtt", "measure_topology", "measure_udp_pps",
           "run_anchor"]


def run_anchor(name: str, seconds: float = 3.0, *, frame_bytes: int = 64,
               rtt_count: int = 200) -> dict[str, Any]:
    """Build anchor `name`, measure it, tear it down; see the module docstring."""
    if name not in ANCHORS:
        raise ValueError(f"unknown anchor {name!r}; choose from {sorted(ANCHORS)}")
    with ANCHORS[name]() as topo:
        return measure_topology(topo, seconds, frame_bytes=frame_bytes, rtt_count=rtt_count)


def measure_topology(topo: AnchorTopology, seconds: float = 3.0, *, frame_bytes: int = 64,
                     rtt_count: int = 200, rtt_interval: float = 0.01,
                     pps_samples: int = 1) -> dict[str, Any]:
    """Idle RTT, then `pps_samples` windows of 64-byte UDP packet rate (median reported)
    between the client and server of any topology; the dict of `run_anchor`, plus
    "pps_samples"."""
    # RTT first, on an idle path: under load it would measure queueing, not the path.
    rtt = measure_rtt(topo.client_ns, topo.server_ip, count=rtt_count, interval=rtt_interval)
    runs = [measure_udp_pps(topo.client_ns, topo.server_ns, topo.server_ip,
                            frame_bytes=frame_bytes, seconds=seconds, dport=ALLOWED_UDP_PORT)
            for _ in range(pps_samples)]
    pps = sorted(runs, key=lambda run: run["delivered_pps"])[len(runs) // 2]
    return {"anchor": topo.name, "pps": pps["delivered_pps"], "offered_pps": pps["offered_pps"],
            "loss_ratio": pps["loss_ratio"], "rtt_p50_us": rtt["rtt_p50_us"],
            "rtt_p99_us": rtt["rtt_p99_us"], "rtt_mean_us": rtt["rtt_mean_us"],
            "frame_bytes": frame_bytes, "seconds": pps["seconds"],
            "generator": pps["generator"], "rtt_method": rtt["method"],
            "pps_samples": [run["delivered_pps"] for run in runs]}
