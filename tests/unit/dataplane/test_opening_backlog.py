"""Connection openings beyond a round's share wait per ENI (opening_backlog.py): the rest of
their batch goes on at once, the held ones follow in order over the next rounds, each
charged to the new-flow allowance once, and a full backlog drops what does not fit,
counted with its reason."""

from __future__ import annotations

from collections.abc import Hashable

from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.opening_backlog import OpeningBacklog
from smartnic.model import load_config
from smartnic.packet import parse_frame
from smartnic.packet.overlay import decapsulate
from smartnic.ports.memory import MemoryPort
from smartnic.scenarios.sends import build_send
from tests.conftest import t1
from tests.unit.fastpath.fp_world import OPEN, World

A, B, FW = "10.0.1.10", "10.0.1.20", "10.0.3.40"
QUOTA = 4


class FixedShare:
    """A round's share of openings that does not depend on this machine's speed."""

    def __init__(self, frames: int) -> None:
        self.share = frames

    def frames(self, port: Hashable, ceiling: int) -> int:
        return min(self.share, ceiling)

    def spent(self, port: Hashable, frames: int, seconds: float) -> None:
        pass

    def forget(self, port: Hashable) -> None:
        pass


def _world(new_flows: int | None = None) -> World:
    enis = [{"id": "eni-a", "limits": {"new_flows": new_flows}}] if new_flows else []
    return World(load_config(t1(OPEN | ({"enis": enis} if enis else {}))), fastpath=True)


def _fair_engine(world: World, host: str, backlog: OpeningBacklog | None = None
                 ) -> tuple[HostEngine, MemoryPort]:
    underlay = MemoryPort("underlay")
    engine = HostEngine(host, world.program, world.clock, underlay, round_s=0.001)
    engine.budgets = None  # every frame of these small batches in one round
    engine.openings = FixedShare(QUOTA)  # type: ignore[assignment]
    if backlog is not None:
        engine.backlog = backlog
    return engine, underlay


def _tcp(world: World, sender: str, dst: str, sport: int, flags: str = "S") -> bytes:
    return build_send(world.program, {"from": sender, "dst": dst, "proto": "tcp",
                                      "sport": sport, "dport": 80, "flags": flags}).frames[0]


FLAGS = {0x02: "S", 0x10: "A"}


def _sent(port: MemoryPort) -> list[tuple[int, str]]:
    """(source port, TCP flags) of each inner packet the engine sent to the underlay."""
    inner = [parse_frame(decapsulate(frame)[1]) for frame in port.drain()]
    return [(packet.sport, FLAGS.get(packet.tcp_flags, "?")) for packet in inner]


def test_a_burst_of_openings_does_not_hold_up_an_established_flow() -> None:
    world = _world()
    engine, underlay = _fair_engine(world, "host-1")
    port = MemoryPort("eni-a")
    engine.attach("eni-a", port)
    port.inject(_tcp(world, "eni-a", B, 40000))
    engine.poll()
    assert _sent(underlay) == [(40000, "S")]
    for sport in range(50000, 50020):
        port.inject(_tcp(world, "eni-a", B, sport))
    port.inject(_tcp(world, "eni-a", B, 40000, flags="A"))
    engine.poll()
    first = _sent(underlay)
    assert first == [(sport, "S") for sport in range(50000, 50000 + QUOTA)] + [(40000, "A")]
    assert engine.backlog is not None and engine.backlog.waiting() == 20 - QUOTA
    later: list[tuple[int, str]] = []
    while engine.poll():
        later += _sent(underlay)
    assert later == [(sport, "S") for sport in range(50000 + QUOTA, 50020)]  # in order
    assert engine.backlog.waiting() == 0


def test_held_openings_are_charged_to_the_allowance_once() -> None:
    world = _world(new_flows=25)
    engine, underlay = _fair_engine(world, "host-1")
    port = MemoryPort("eni-a")
    engine.attach("eni-a", port)
    for sport in range(50000, 50021):  # 21 of the bucket's 25
        port.inject(_tcp(world, "eni-a", B, sport))
    while engine.poll():
        pass
    assert len(_sent(underlay)) == 21
    for sport in range(51000, 51010):
        port.inject(_tcp(world, "eni-a", B, sport))
    while engine.poll():
        pass
    assert len(_sent(underlay)) == 4  # the 4 tokens left, not fewer
    assert engine.ctx.counters.of("eni-a")["new_flow_allowance_exceeded"] == 6


def test_a_full_backlog_drops_openings_with_a_named_reason() -> None:
    world = _world()
    engine, underlay = _fair_engine(world, "host-1", OpeningBacklog(capacity=5))
    port = MemoryPort("eni-a")
    engine.attach("eni-a", port)
    for sport in range(50000, 50020):
        port.inject(_tcp(world, "eni-a", B, sport))
    while engine.poll():
        pass
    sent = _sent(underlay)
    assert sent == [(sport, "S") for sport in range(50000, 50000 + QUOTA + 5)]
    counters = engine.ctx.counters.of("eni-a")
    assert counters["opening_backlog_full"] == 20 - QUOTA - 5
    assert counters["drop.allowance_exceeded.opening_backlog"] == 20 - QUOTA - 5


def test_openings_from_the_underlay_wait_per_receiving_eni() -> None:
    world = _world()
    to_a = [_tcp(world, "eni-b", A, sport) for sport in range(50000, 50020)]
    to_fw = [_tcp(world, "eni-c", FW, sport) for sport in (60000, 60001)]
    arriving = [e.frame for e in world.engines["host-2"].process_vm_batch("eni-b", to_a)]
    arriving += [e.frame for e in world.engines["host-3"].process_vm_batch("eni-c", to_fw)]
    engine, underlay = _fair_engine(world, "host-1")
    vm_a, vm_fw = MemoryPort("eni-a"), MemoryPort("eni-fw")
    engine.attach("eni-a", vm_a)
    engine.attach("eni-fw", vm_fw)
    for frame in arriving:
        underlay.inject(frame)
    engine.poll()
    # eni-fw's two openings arrived behind twenty for eni-a and did not wait for them
    assert len(vm_fw.drain()) == 2
    assert len(vm_a.drain()) == QUOTA
    while engine.poll():
        pass
    assert len(vm_a.drain()) == 20 - QUOTA


def test_the_list_api_holds_nothing_back() -> None:
    world = _world()
    engine, underlay = _fair_engine(world, "host-1")
    out = engine.process_vm_batch("eni-a", [_tcp(world, "eni-a", B, sport)
                                            for sport in range(50000, 50020)])
    assert len(out) == 20
    assert engine.backlog is not None and engine.backlog.waiting() == 0
