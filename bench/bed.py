"""The in-memory test bed: the benchmark cloud's two host engines joined by memory ports.

`make_bed(conntrack_max)` compiles `bench.policy.aws_max_config` (or a given config with
the same hosts and ENIs) and builds host-1 (the client's engine) and host-2 (the
server's) on one virtual clock, which stays still, so no tracked connection expires
however long a run takes. `install(bed, frames)` sends each
frame through host-1 from the client's port and the resulting underlay frames through
host-2, in batches, and returns those underlay frames (what the decap direction replays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.policy import CLIENT, SERVER, aws_max_config
from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import load_config
from smartnic.ports.memory import MemoryPort, MemoryUnderlay

BATCH_PACKETS = 256


@dataclass
class Bed:
    program: Program
    clock: VirtualClock
    client: HostEngine  # host-1: encapsulates what the client VM sends
    server: HostEngine  # host-2: decapsulates and delivers to the server VM
    client_port: MemoryPort
    server_port: MemoryPort


def make_bed(conntrack_max: int = 2_000_000, *, config: dict[str, Any] | None = None,
             journal: bool = False, fastpath: bool = True) -> Bed:
    """Both engines of `config` (default: the benchmark cloud); `journal` records each
    packet's hops (tests compare verdicts with it; measurements leave it off);
    `fastpath=False` keeps the engines on their Python batch path."""
    options: dict[str, Any] = {"journal": journal} | ({} if fastpath else {"fastpath": False})
    program = compile_program(load_config(config or aws_max_config(conntrack_max)))
    clock = VirtualClock()
    network = MemoryUnderlay()
    engines = []
    for spec in (CLIENT, SERVER):
        host = program.hosts[spec["host"]]
        engine = HostEngine(host.id, program, clock, network.port(host.underlay_ip, host.id),
                            **options)
        engines.append(engine)
    client_port, server_port = MemoryPort(CLIENT["eni"]), MemoryPort(SERVER["eni"])
    engines[0].attach(CLIENT["eni"], client_port)
    engines[1].attach(SERVER["eni"], server_port)
    return Bed(program, clock, engines[0], engines[1], client_port, server_port)


def send_from_client(bed: Bed, frames: list[bytes]) -> list[bytes]:
    """`frames` through host-1 from the client's port; the underlay frames it emitted."""
    out: list[bytes] = []
    for start in range(0, len(frames), BATCH_PACKETS):
        emitted = bed.client.process_vm_batch(CLIENT["eni"], frames[start:start + BATCH_PACKETS])
        out += [e.frame for e in emitted if e.port == "underlay"]
    return out


def deliver_to_server(bed: Bed, frames: list[bytes]) -> int:
    """`frames` through host-2 from the underlay; how many reached the server's port."""
    delivered = 0
    for start in range(0, len(frames), BATCH_PACKETS):
        emitted = bed.server.process_underlay_batch(frames[start:start + BATCH_PACKETS])
        delivered += sum(e.port == f"vm:{SERVER['eni']}" for e in emitted)
    return delivered


def install(bed: Bed, frames: list[bytes]) -> list[bytes]:
    """New flows through both engines; returns host-1's underlay frames for them."""
    underlay = send_from_client(bed, frames)
    deliver_to_server(bed, underlay)
    return underlay
