"""What an engine process answers to `counters`: ENIs, the fast path, every port."""

from __future__ import annotations

from collections.abc import Callable

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import Config
from smartnic.ports.memory import MemoryPort
from smartnic.runtime.adapters import HostProcess
from smartnic.scenarios.sends import build_send


class CountingPort(MemoryPort):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.stats = {"rx_packets": 0}

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        frames = super().rx_batch(max_frames)
        self.stats["rx_packets"] += len(frames)
        return frames


def test_counters_report_the_fast_path_and_each_port(build_t1: Callable[..., Config]) -> None:
    program = compile_program(build_t1({}), 1)
    engine = HostEngine("host-1", program, VirtualClock(), MemoryPort("underlay"))
    vm = CountingPort("vm:eni-a")
    engine.attach("eni-a", vm)
    spec = {"from": "eni-a", "dst": "10.0.2.30", "proto": "udp", "sport": 5, "dport": 53}
    vm.inbound.extend(build_send(program, spec).frames * 3)
    engine.poll()
    report = HostProcess(engine).report({"op": "counters"})
    assert report["ports"]["eni-a"] == {"rx_packets": 3}
    assert report["ports"]["underlay"] == {}  # a port without counters
    fast = report["fastpath"]
    assert fast["hits"] + sum(v for k, v in fast.items() if k.startswith("punt_")) == 3
