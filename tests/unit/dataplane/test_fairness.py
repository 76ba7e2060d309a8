"""Fairness between ENIs: the new-flow allowance (sender and receiver side, the same with
and without the fast path), the slow path's share, and the engine's round-robin poll."""

from __future__ import annotations

from typing import Any

import pytest

from smartnic.dataplane.allowance import SlowPathShare
from smartnic.model import load_config
from smartnic.ports.memory import MemoryPort
from smartnic.scenarios.sends import build_send
from tests.conftest import t1
from tests.unit.fastpath.fp_world import OPEN, World

A, B, C = "10.0.1.10", "10.0.1.20", "10.0.2.30"


def _world(limits: dict[str, dict[str, int]], *, fastpath: bool, **options: Any) -> World:
    enis = [{"id": eni, "limits": value} for eni, value in limits.items()]
    patch = OPEN | ({"enis": enis} if enis else {})
    return World(load_config(t1(patch)), fastpath=fastpath, **options)


def _syns(world: World, sender: str, dst: str, ports: range, flags: str = "S") -> list[bytes]:
    return [build_send(world.program, {"from": sender, "dst": dst, "proto": "tcp",
                                       "sport": port, "dport": 80, "flags": flags}).frames[0]
            for port in ports]


def _delivered(emitted: list[tuple[str, str, bytes]], eni: str) -> int:
    return sum(port == f"vm:{eni}" for _, port, _ in emitted)


def _counters(world: World, eni: str) -> dict[str, int]:
    return world.engines[world.program.enis[eni].host_id].ctx.counters.of(eni)


@pytest.mark.parametrize("fastpath", [True, False])
def test_a_sender_opens_no_more_connections_than_its_allowance(fastpath: bool) -> None:
    world = _world({"eni-a": {"new_flows": 5}}, fastpath=fastpath)
    emitted = world.step([("eni-a", _syns(world, "eni-a", B, range(40000, 40008)))])
    assert _delivered(emitted, "eni-b") == 5
    counters = _counters(world, "eni-a")
    assert counters["new_flow_allowance_exceeded"] == 3
    assert counters["drop.allowance_exceeded.new_flow_allowance"] == 3
    assert not any(port == "underlay" for host, port, _ in emitted[5:] if host == "host-1")
    world.clock.advance(1.0)  # one second refills the bucket
    emitted = world.step([("eni-a", _syns(world, "eni-a", B, range(41000, 41008)))])
    assert _delivered(emitted, "eni-b") == 5


@pytest.mark.parametrize("fastpath", [True, False])
def test_established_flows_keep_flowing_while_openings_are_refused(fastpath: bool) -> None:
    world = _world({"eni-a": {"new_flows": 2}}, fastpath=fastpath)
    world.step([("eni-a", _syns(world, "eni-a", B, range(40000, 40002)))])
    flood = _syns(world, "eni-a", B, range(50000, 50050))
    data = _syns(world, "eni-a", B, range(40000, 40002), flags="A")
    emitted = world.step([("eni-a", flood[:25] + data + flood[25:])])
    assert _delivered(emitted, "eni-b") == 2  # the established flows' packets, only
    assert _counters(world, "eni-a")["new_flow_allowance_exceeded"] == 50


@pytest.mark.parametrize("fastpath", [True, False])
def test_a_receiving_host_gates_openings_per_receiving_eni(fastpath: bool) -> None:
    world = _world({"eni-b": {"new_flows": 3}}, fastpath=fastpath)
    emitted = world.step([("eni-a", _syns(world, "eni-a", B, range(40000, 40006))),
                          ("eni-c", _syns(world, "eni-c", A, range(40000, 40006)))])
    assert _delivered(emitted, "eni-b") == 3
    assert _delivered(emitted, "eni-a") == 6  # another receiver: its own allowance
    assert _counters(world, "eni-b")["new_flow_allowance_exceeded"] == 3
    assert "new_flow_allowance_exceeded" not in _counters(world, "eni-a")


def test_the_default_allowance_leaves_normal_traffic_alone() -> None:
    world = _world({}, fastpath=True)
    emitted = world.step([("eni-a", _syns(world, "eni-a", B, range(40000, 40500)))])
    assert _delivered(emitted, "eni-b") == 500
    assert "new_flow_allowance_exceeded" not in _counters(world, "eni-a")


def test_each_eni_gets_its_share_of_the_slow_path() -> None:
    groups = [g | {"ingress": []} if g["id"] == "sg-b" else g for g in OPEN["security_groups"]]
    config = load_config(t1({"security_groups": groups}))  # eni-b refuses all
    world = World(config, fastpath=True)
    for engine in world.engines.values():
        engine.share = SlowPathShare(10)
    refused = _syns(world, "eni-a", B, range(40000, 40050))  # dst_sg_ingress drops: stages
    emitted = world.step([("eni-a", refused), ("eni-c", _syns(world, "eni-c", A, range(1)))])
    host_2 = world.engines["host-2"].ctx.counters.of("eni-b")
    assert host_2["drop.dst_sg_ingress.no_matching_rule"] == 10
    assert host_2["slowpath_share_exceeded"] == 40
    assert _delivered(emitted, "eni-a") == 1  # another ENI's traffic is untouched


def test_poll_serves_every_port_each_round_within_its_budget() -> None:
    world = _world({}, fastpath=True)
    engine = world.engines["host-1"]
    flooder, bystander = MemoryPort("eni-a"), MemoryPort("eni-fw")
    engine.attach("eni-a", flooder)
    engine.attach("eni-fw", bystander)
    for frame in _syns(world, "eni-a", B, range(40000, 41000)):
        flooder.inject(frame)
    ping = build_send(world.program, {"from": "eni-fw", "dst": C, "proto": "icmp",
                                      "icmp_type": 8}).frames[0]
    bystander.inject(ping)
    handled = engine.poll()
    assert handled == 257  # one budget of the flooder's frames, and the bystander's one
    assert not bystander.inbound and len(flooder.inbound) == 1000 - 256
