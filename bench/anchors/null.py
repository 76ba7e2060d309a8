"""The null-forwarder anchor: smartnic's topology and ports with the engines replaced by a
forwarder that does no packet work (bench/nullfwd.py): the I/O ceiling of the real path.

`NullForwarder()` brings the benchmark cloud up with `smartnic up` (bench/e2e.py's
SmartnicTopology), stops the supervisor and with it every engine, gives each VM a static
neighbour entry for its VPC router (no engine answers ARP any more), starts one forwarder
per host in the host's namespace on the engine's own ports (VM veth ring; the underlay's
rings or UDP socket, as `up` chose), pinned where the engines were, and yields the same
`AnchorTopology` as smartnic's ("null"). The forwarders are stopped by PID and the
topology brought down even on failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from bench.anchors.topology import AnchorTopology
from bench.netns import BenchError, datapath_cpus, sh, stop_process, wait_for_ping
from bench.policy import CLIENT, SERVER, aws_max_config
from smartnic.compiler.compile import compile_program
from smartnic.model import load_config
from smartnic.net.linux import read_state
from smartnic.packet import int_to_ip
from smartnic.runtime import orchestrate
from smartnic.runtime.spec import EngineSpec
from smartnic.runtime.supervision import supervisor_records

STOP_TIMEOUT_S = 15.0


def _stop_engines(topo: orchestrate.Topology) -> None:
    """SIGTERM the supervisor (it stops its engines first) and wait until all are gone."""
    for record in supervisor_records(read_state(topo.state_path) or {}):
        try:
            os.kill(int(record["pid"]), signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        report = orchestrate.status(topo)
        engines = [*report["hosts"], report["edge"]]
        if not report["supervisor"]["running"] and not any(e.get("engine_alive")
                                                           for e in engines):
            return
        time.sleep(0.1)
    raise BenchError("the supervisor and its engines did not stop")


def _forwarder(topo: orchestrate.Topology, host: str, peer: str, eni: str,
               router_mac: str, vm_mac: str) -> subprocess.Popen[str]:
    spec = EngineSpec.load(topo.spec_path(host))
    peer_ip = EngineSpec.load(topo.spec_path(peer)).underlay_ip
    cpus = ",".join(map(str, datapath_cpus()))
    rings = (["--underlay-if", spec.underlay_ifname or ""]
             if spec.underlay_mode == "afpacket" else [])
    return subprocess.Popen(
        ["ip", "netns", "exec", spec.netns, "taskset", "-c", cpus, sys.executable, "-m",
         "bench.nullfwd", "--vm", spec.vm_ports[eni], "--local", spec.underlay_ip,
         "--peer", peer_ip, "--vm-mac", vm_mac, "--router-mac", router_mac, *rings],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@contextmanager
def NullForwarder() -> Iterator[AnchorTopology]:  # noqa: N802
    from bench.e2e import SmartnicTopology

    program = compile_program(load_config(aws_max_config()))
    with SmartnicTopology() as smartnic:
        topo = orchestrate.topology(smartnic.prefix)
        layout = topo.plan()
        _stop_engines(topo)
        forwarders: list[subprocess.Popen[str]] = []
        try:
            for spec, peer in ((CLIENT, SERVER), (SERVER, CLIENT)):
                eni = program.enis[spec["eni"]]
                subnet = program.subnets[eni.subnet_id]
                router_mac = program.vpcs[eni.vpc_id].router_mac.hex(":")
                vm = layout.vms[spec["eni"]]
                sh(["ip", "neigh", "replace", int_to_ip(4, subnet.router_ip(4)), "lladdr",
                    router_mac, "dev", vm.dev, "nud", "permanent"], vm.netns)
                forwarders.append(_forwarder(topo, spec["host"], peer["host"], spec["eni"],
                                             router_mac, vm.mac))
            wait_for_ping(smartnic.client_ns, smartnic.server_ip, timeout=30.0)
            yield replace(smartnic, name="null", pids=[p.pid for p in forwarders])
        finally:
            for proc in forwarders:
                stop_process(proc)
