"""Ports that move batches as arrays (`rx_packets` / `tx_packets`, ports/base.py): the
engine's poll takes them in place and sends the fast path's emissions straight from its
arena, and what every port sees is what it sees through the lists of bytes: the same
frames, in the same order per port — new flows (slow path between replays), hits, ARP
answered by the engine, several output ports from one batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch
from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.port_groups import port_runs
from smartnic.model import load_config
from smartnic.packet import build_arp, ip_to_int
from smartnic.ports.memory import MemoryPort, MemoryUnderlay
from smartnic.scenarios.sends import build_send
from tests.conftest import t1
from tests.unit.fastpath.fp_world import OPEN


class ArrayPort:
    """A port of the in-memory network that also moves batches as arrays."""

    def __init__(self, port: MemoryPort) -> None:
        self.port, self.name = port, port.name
        self.calls = {"rx_packets": 0, "tx_packets": 0}

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        return self.port.rx_batch(max_frames)

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        self.port.tx_batch(frames)

    def rx_packets(self, max_frames: int = 256) -> PacketBatch:
        self.calls["rx_packets"] += 1
        return PacketBatch.from_frames(self.port.rx_batch(max_frames))

    def tx_packets(self, batch: PacketBatch) -> None:
        self.calls["tx_packets"] += 1
        self.port.tx_batch(batch.frames())

    def close(self) -> None:
        self.port.close()


def _cloud(arrays: bool) -> tuple[dict[str, HostEngine], dict[str, MemoryPort], list]:
    program = compile_program(load_config(t1(OPEN)), 1)
    clock, network = VirtualClock(), MemoryUnderlay()
    wrappers: list[ArrayPort] = []

    def wrap(port):  # type: ignore[no-untyped-def]
        if not arrays:
            return port
        wrappers.append(ArrayPort(port))
        return wrappers[-1]

    engines = {h.id: HostEngine(h.id, program, clock, wrap(network.port(h.underlay_ip, h.id)))
               for h in program.hosts.values()}
    vms = {}
    for eni in program.enis.values():
        vms[eni.id] = MemoryPort(eni.id)
        engines[eni.host_id].attach(eni.id, wrap(vms[eni.id]))
    return engines, vms, wrappers


def _traffic(program) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    sends = [("eni-a", {"dst": "10.0.1.20", "proto": "udp", "sport": 4000 + n % 5,
                        "dport": 53}) for n in range(40)]
    sends += [("eni-a", {"dst": "10.0.2.30", "proto": "tcp", "sport": 5000 + n,
                         "dport": 80, "flags": "S"}) for n in range(10)]
    sends += [("eni-b", {"dst": "10.0.1.10", "proto": "udp", "sport": 53,
                         "dport": 4000 + n % 5}) for n in range(20)]
    return [(eni, frame) for eni, send in sends
            for frame in build_send(program, {"from": eni, **send}).frames]


def _run(arrays: bool) -> tuple[dict[str, list[bytes]], list]:
    engines, vms, wrappers = _cloud(arrays)
    program = next(iter(engines.values())).ctx.program
    eni_a = program.enis["eni-a"]
    arp = build_arp(op=1, sender_mac=eni_a.mac, sender_ip=eni_a.primary_ipv4,
                    target_mac=bytes(6), target_ip=ip_to_int("10.0.1.1")[1],
                    eth_dst=b"\xff" * 6)
    for eni, frame in [("eni-a", arp), *_traffic(program)]:
        vms[eni].inject(frame)
    for _ in range(20):
        if not sum(engine.poll() for engine in engines.values()):
            break
    return {eni: port.drain() for eni, port in vms.items()}, wrappers


def test_array_ports_see_exactly_what_list_ports_see() -> None:
    through_lists, _ = _run(arrays=False)
    through_arrays, wrappers = _run(arrays=True)
    assert through_arrays == through_lists
    assert len(through_lists["eni-b"]) == 40 and len(through_lists["eni-c"]) == 10
    assert len(through_lists["eni-a"]) >= 21  # the replies and the ARP answer
    assert sum(w.calls["tx_packets"] for w in wrappers) > 0  # the fast path's own output
    assert all(w.calls["rx_packets"] > 0 for w in wrappers if w.name != "eni-c")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=40))
def test_port_runs_split_by_port_and_keep_each_ports_order(ports: list[int]) -> None:
    frames = [bytes([index, port]) * 3 for index, port in enumerate(ports)]
    batch = PacketBatch.from_frames(frames)
    emissions = Emissions(batch, np.array(ports, np.int64), np.arange(len(ports)))
    runs = list(port_runs(emissions))
    assert [index for index, _ in runs] == sorted(set(ports))
    for index, run in runs:
        assert run.frames() == [f for f, p in zip(frames, ports, strict=True) if p == index]
