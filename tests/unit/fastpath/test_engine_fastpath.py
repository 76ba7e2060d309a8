"""Host engines with the fast path: new flows are admitted by the kernels (or, without
admission, decided by the first packet of a batch for the rest), later packets replayed,
and in every case the engines emit and count exactly what engines without it do."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from smartnic.model import Config
from smartnic.scenarios.sends import build_send
from tests.unit.fastpath import fp_world
from tests.unit.fastpath.fp_world import World
from tests.unit.fastpath.twins import ADMISSION, interpreted

OPEN = {**fp_world.OPEN, **fp_world.FLOW_LOG}
UDP = {"from": "eni-a", "dst": "10.0.1.20", "proto": "udp", "sport": 40000, "dport": 53}


def frames(world: World, spec: dict[str, Any], count: int = 1) -> list[bytes]:
    return list(build_send(world.program, spec).frames) * count


KINDS = ({"fastpath": True}, {"fastpath": True, "admission": False}, {"fastpath": False})


def both(build: Callable[..., Config], patch: dict[str, Any],
         steps: list[list[tuple[dict[str, Any], int]]], **options: Any) -> list[World]:
    """Run `steps` (batches of (send, copies)) on engines with admission + fast path, the
    fast path alone and Python alone; assert they agree; return the worlds in that order."""
    worlds = [World(build(patch), **kind, **options) for kind in KINDS]
    for step in steps:
        outputs = [w.step([(spec["from"], frames(w, spec, n)) for spec, n in step])
                   for w in worlds]
        assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
        for world in worlds:
            world.clock.advance(1.0)
    assert worlds[0].state() == worlds[2].state() and worlds[1].state() == worlds[2].state()
    return worlds


def fast_counters(world: World, host: str) -> dict[str, int]:
    engine = world.engines[host]
    assert engine.fastpath is not None
    return engine.fastpath.counters()


def test_a_new_flow_is_decided_once_per_batch_and_replayed(
        build_t1: Callable[..., Config]) -> None:
    admitting, world, _ = both(build_t1, OPEN, [[(UDP, 5)], [(UDP, 5)]])
    sender, receiver = fast_counters(world, "host-1"), fast_counters(world, "host-2")
    assert (sender["hits"], sender["punt_miss"]) == (9, 1)
    assert (receiver["hits"], receiver["punt_miss"]) == (9, 1)
    assert world.engines["host-2"].eni_counters("eni-b")["rx_packets"] == 10
    for host in ("host-1", "host-2"):
        counted = fast_counters(admitting, host)
        assert (counted["hits"], counted["punt_miss"], counted["admitted"]) == (10, 0, 1)


def test_tcp_conversation_and_reply_direction(build_t1: Callable[..., Config]) -> None:
    syn = {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "sport": 40000, "dport": 80}
    back = {"from": "eni-c", "dst": "10.0.1.10", "proto": "tcp", "sport": 80, "dport": 40000}
    steps = [[(syn | {"flags": "S"}, 1)], [(back | {"flags": "SA"}, 1)],
             [(syn | {"flags": "A"}, 1), (syn | {"flags": "PA"}, 3)],
             [(back | {"flags": "PA"}, 3), (back | {"flags": "FA"}, 1)],
             [(syn | {"flags": "FA"}, 1), (back | {"flags": "A"}, 1)],
             [(syn | {"flags": "S"}, 2)]]
    world = both(build_t1, OPEN, steps)[0]
    assert fast_counters(world, "host-1")["hits"] > 0 < fast_counters(world, "host-3")["hits"]


def test_policy_change_and_expiry_re_decide(build_t1: Callable[..., Config]) -> None:
    worlds = [World(build_t1(OPEN), **kind) for kind in KINDS]
    for world in worlds:
        world.step([("eni-a", frames(world, UDP, 3))])
        world.apply(build_t1({**OPEN, "security_groups": [{"id": "sg-b", "ingress": []}]}))
    outputs = [w.step([("eni-a", frames(w, UDP, 3))]) for w in worlds]
    assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
    assert fast_counters(worlds[1], "host-1")["punt_stale"] == 1
    assert fast_counters(worlds[0], "host-1")["admitted"] == 2  # re-decided, not punted
    for world in worlds:
        world.clock.advance(31.0)
    outputs = [w.step([("eni-a", frames(w, UDP, 3))]) for w in worlds]
    assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
    assert worlds[0].state() == worlds[2].state() == worlds[1].state()


def test_a_full_table_evicts_and_still_agrees(build_t1: Callable[..., Config]) -> None:
    flows = [UDP | {"sport": 40000 + n} for n in range(12)]
    for world in both(build_t1, OPEN, [[(f, 2) for f in flows]] * 3, max_flows=4)[:2]:
        assert len(world.engines["host-1"].fastpath.table) <= 4  # type: ignore[union-attr]


def test_rate_gated_and_ipv6_flows(build_t1: Callable[..., Config]) -> None:
    limited = {**OPEN, "enis": [{"id": "eni-c", "limits": {"pps": 3}}]}
    six = {"from": "eni-a", "dst": "2001:db8:1234:1a01::20", "proto": "udp", "sport": 1,
           "dport": 2}
    gated = UDP | {"dst": "10.0.2.30"}
    world = both(build_t1, limited, [[(six, 3), (gated, 5)], [(six, 2), (gated, 2)]])[1]
    host3 = fast_counters(world, "host-3")
    assert host3["hits"] == 0 and host3["entries"] == 0  # a rate gate is never replayed
    assert fast_counters(world, "host-2")["hits"] == 4  # IPv6 is


def test_a_flood_past_capacity_is_refused_in_the_kernels_and_swept_like_the_slow_path(
        build_t1: Callable[..., Config]) -> None:
    """SG-R25: new flows beyond an ENI's capacity are refused and counted; the admission
    pre-pass sweeps a full ENI where the slow path would, so it refuses without punting
    and admits again once idle connections expired (SG-R24 timeouts)."""
    patch = {**OPEN, "enis": [{"id": "eni-a", "limits": {"conntrack_max": 3}}]}
    worlds = [World(build_t1(patch), **kind) for kind in KINDS]
    for wait, base in ((0.0, 41000), (1.0, 41000), (200.0, 42000)):  # 200 s: all expired
        flood = [(UDP | {"dst": "10.0.2.30", "sport": base + n}, 1) for n in range(10)]
        for world in worlds:
            world.clock.advance(wait)
        outputs = [w.step([("eni-a", [f for spec, n in flood for f in frames(w, spec, n)])])
                   for w in worlds]
        assert outputs[0] == outputs[2] and outputs[1] == outputs[2]
        sent = [frame for host, port, frame in outputs[0] if port == "underlay"]
        assert len(sent) == 3  # three admitted, the rest refused
    assert worlds[0].state() == worlds[2].state() == worlds[1].state()
    counted = fast_counters(worlds[0], "host-1")
    assert counted["punt_miss"] == 0 and counted["refused"] == 7 * 3  # the first three hit
    assert counted["admitted"] == 3 + 3  # the last round's three after the sweep
    assert worlds[0].engines["host-1"].eni_counters("eni-a")[
        "conntrack_allowance_exceeded"] == 21


def test_the_admission_pre_pass_equals_its_twins(build_t1: Callable[..., Config]) -> None:
    """The pre-pass's kernels (scan, decide, install, connection rows) interpreted as
    Python, and admitted flows installed by the Python twin (FlowAction -> action row)
    instead of the install kernel, emit and leave exactly what the compiled pre-pass does."""
    patch = {**OPEN, "enis": [{"id": "eni-a", "limits": {"conntrack_max": 5}}]}
    tcp = {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "dport": 22}
    steps = [[(UDP | {"sport": 41000 + n}, 2) for n in range(4)] + [(tcp | {"flags": "S"}, 1)],
             [({"from": "eni-c", "dst": "10.0.1.10", "proto": "tcp", "sport": 22,
                "dport": 0, "flags": "SA"}, 1), (UDP | {"dst": "10.0.2.30"}, 3)],
             [(UDP | {"dst": "10.0.2.30", "sport": 42000 + n}, 1) for n in range(6)]]
    runs = []
    for kind, twin in (({}, False), ({}, True), ({"kernel_install": False}, False)):
        world = World(build_t1(patch), fastpath=True, **kind)
        outputs = []
        for step in steps:
            batches = [(spec["from"], frames(world, spec, n)) for spec, n in step]
            with interpreted(ADMISSION) if twin else contextlib.nullcontext():
                outputs.append(world.step(batches))
            world.clock.advance(1.0)
        runs.append((outputs, world.state(), fast_counters(world, "host-1")))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][2]["admitted"] > 0 and runs[0][2]["refused"] > 0
