"""`smartnic engine --spec FILE`: one engine process (a host's co-processor, or the edge).

Runs inside its namespace (started with `ip netns exec` by `smartnic up`). Host engines
read VM frames from AF_PACKET rings on the host side of each VM's veth and exchange
VXLAN/Geneve over a UDP socket on the host's underlay address; the edge reads the link to
the internet namespace.
"""

from __future__ import annotations

import os
from pathlib import Path

from smartnic.clock import SystemClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.allowance import DEFAULT_SLOWPATH_PPS
from smartnic.dataplane.edge import INTERNET, EdgeEngine
from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.port_budget import ROUND_S
from smartnic.dataplane.warmup import warm_up
from smartnic.model import load_config_file
from smartnic.ports.afpacket import AfPacketPort
from smartnic.ports.udp import UdpUnderlayPort
from smartnic.runtime import heap
from smartnic.runtime.adapters import EdgeProcess, HostProcess
from smartnic.runtime.control import ControlServer
from smartnic.runtime.loop import EngineLoop, PollableEngine
from smartnic.runtime.polling import Waiting
from smartnic.runtime.spec import EngineSpec

OVERLAY_PORTS = {"vxlan": 4789, "geneve": 6081}


def run_engine(spec_path: Path) -> None:
    spec = EngineSpec.load(spec_path)
    if spec.cpus:
        os.sched_setaffinity(0, spec.cpus)
    config = load_config_file(Path(spec.config_path))
    program = compile_program(config)
    underlay: UdpUnderlayPort | AfPacketPort
    if spec.underlay_mode == "afpacket":
        underlay = AfPacketPort(spec.underlay_ifname or "", rx_version=2)
    else:
        underlay = UdpUnderlayPort(spec.underlay_ip, OVERLAY_PORTS[program.overlay])
    ports: list = [underlay]  # type: ignore[type-arg]
    process: PollableEngine
    if spec.role == "host":
        warm_up()  # kernels loaded (or compiled) before the first packet, not on it
        engine = HostEngine(spec.host_id, program, SystemClock(), underlay,
                            slowpath_pps=DEFAULT_SLOWPATH_PPS, keep_flow_logs=False,
                            round_s=ROUND_S)
        for eni_id, ifname in spec.vm_ports.items():
            port = AfPacketPort(ifname, rx_version=2)
            engine.attach(eni_id, port)
            ports.append(port)
        process = HostProcess(engine)
    else:
        edge = EdgeEngine(program, SystemClock(), underlay)
        internet = AfPacketPort(spec.internet_ifname or "", rx_version=2)
        edge.attach(INTERNET, internet)
        ports.append(internet)
        process = EdgeProcess(edge)
    control = ControlServer(spec.control_socket, process.report)
    loop = EngineLoop(process, [p.fileno() for p in ports], control, Path(spec.flowlog_dir),
                      config.account_id, config.region, Waiting(spec.poll_mode))
    heap.settle()  # the set-up heap leaves the collector's walks
    try:
        loop.run()
    finally:
        for port in ports:
            port.close()
