"""Reused 5-tuples are decided in the kernels, exactly as the slow path decides them.

A flood of raw SYNs with a rotating source port comes back to the same 5-tuples while
their connections are finished (reset, CLOSE), after they expired, and after a sweep freed
them. The slow path reopens them (SG-R24, `tcp_reopens`) and answers the replies of the
new connection; the admission pre-pass must do the same without punting a packet: a
reopen, an expired row and a reference to a freed row are decided in the kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smartnic.dataplane.conntrack import states as st
from smartnic.model import Config
from tests.unit.fastpath.fp_world import World
from tests.unit.fastpath.test_engine_fastpath import KINDS, OPEN, fast_counters, frames

PORTS = range(41000, 41012)
SYN = {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "dport": 80, "flags": "S"}
SYN_ACK = {"from": "eni-c", "dst": "10.0.1.10", "proto": "tcp", "sport": 80, "flags": "SA"}
RST = {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "dport": 80, "flags": "R"}


def _handshake_then_reset() -> list[list[dict[str, Any]]]:
    return [[SYN | {"sport": p} for p in PORTS], [SYN_ACK | {"dport": p} for p in PORTS],
            [RST | {"sport": p} for p in PORTS]]


def _punts(world: World) -> int:
    return sum(count for host in ("host-1", "host-3")
               for name, count in fast_counters(world, host).items()
               if name.startswith("punt_"))


def _run(worlds: list[World], wait_s: float) -> None:
    for world in worlds:
        world.clock.advance(wait_s)
    for step in _handshake_then_reset():
        outputs = [w.step([(spec["from"], frames(w, spec)) for spec in step]) for w in worlds]
        assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
        assert len(outputs[0]) == 2 * len(PORTS)  # every packet crosses both hosts
        for world in worlds:
            world.clock.advance(0.1)
    assert worlds[0].state() == worlds[2].state() and worlds[1].state() == worlds[2].state()


def test_reused_tuples_are_reopened_in_the_kernels_sg_r24(
        build_t1: Callable[..., Config]) -> None:
    worlds = [World(build_t1(OPEN), **kind) for kind in KINDS]
    _run(worlds, 0.0)  # new connections, reset
    admitted = fast_counters(worlds[0], "host-1")["admitted"]
    _run(worlds, 1.0)  # the same tuples while CLOSE: reopened
    assert _punts(worlds[0]) == 0
    assert fast_counters(worlds[0], "host-1")["admitted"] > admitted
    _run(worlds, 30.0)  # expired (CLOSE lasts 10 s): freed on lookup, opened again
    assert _punts(worlds[0]) == 0
    for world in worlds:  # a sweep frees the expired rows: entries refer to rows gone
        world.clock.advance(30.0)
        for engine in world.engines.values():
            conntrack = engine.ctx.conntrack
            for eni in engine.ctx.program.enis_on(engine.host_id):
                conntrack.sweep(conntrack.eni_index(eni.id), world.clock.now())
    _run(worlds, 0.0)
    assert _punts(worlds[0]) == 0
    assert _punts(worlds[1]) > 0  # the fast path alone leaves these to the slow path


def test_a_syn_after_a_hit_on_its_finished_connection_waits_for_that_hit(
        build_t1: Callable[..., Config]) -> None:
    """One batch: a late ACK on a reset connection, then a SYN reusing its tuple. The ACK
    belongs to the old connection; deciding the SYN first would hand it the new one."""
    syn, ack = SYN | {"sport": 41000}, RST | {"sport": 41000, "flags": "A"}
    answer = SYN_ACK | {"dport": 41000}
    worlds = [World(build_t1(OPEN), **kind) for kind in KINDS]
    for batch in ([syn], [answer], [ack], [RST | {"sport": 41000}], [ack, syn], [answer]):
        outputs = [w.step([(batch[0]["from"], [f for spec in batch for f in frames(w, spec)])])
                   for w in worlds]
        assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
        for world in worlds:
            world.clock.advance(0.1)
    assert worlds[0].state() == worlds[2].state() and worlds[1].state() == worlds[2].state()
    tracked = worlds[0].engines["host-1"].ctx.conntrack.entries("eni-a")
    assert [e.state for e in tracked] == [st.TCP_SYN_RECV]  # reopened, then answered
