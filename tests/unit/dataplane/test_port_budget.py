"""Receive budgets by cost (port_budget.py): a port whose frames are costly gets short
batches, a cheap one its whole ceiling, and the engine's poll takes what they say."""

from __future__ import annotations

import pytest

from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.port_budget import FLOOR_FRAMES, PortBudgets
from smartnic.model import load_config
from smartnic.ports.memory import MemoryPort
from smartnic.scenarios.sends import build_send
from tests.conftest import t1
from tests.unit.fastpath.fp_world import OPEN, World


def test_a_port_gets_its_ceiling_until_its_batches_cost_more() -> None:
    budgets = PortBudgets(round_s=0.001)
    assert budgets.frames("eni-a", 256) == 256
    budgets.spent("eni-a", 256, 256 * 25e-6)  # 25 µs a frame
    assert budgets.frames("eni-a", 256) == 40  # 1 ms of them
    assert budgets.frames("eni-b", 256) == 256  # another port is not affected


def test_the_budget_follows_the_cost_back_up_and_never_falls_below_the_floor() -> None:
    budgets = PortBudgets(round_s=0.001)
    budgets.spent("p", 64, 64 * 1e-3)  # 1 ms a frame
    assert budgets.frames("p", 256) == FLOOR_FRAMES
    for _ in range(40):
        budgets.spent("p", 64, 64 * 1e-6)
    assert budgets.frames("p", 256) == 256
    assert budgets.frames("p", 8) == 8  # a ceiling under the floor wins


def test_small_batches_do_not_teach_the_cost() -> None:
    budgets = PortBudgets(round_s=0.001)
    budgets.spent("p", FLOOR_FRAMES - 1, 1.0)
    assert budgets.per_frame_s("p") is None
    budgets.spent("p", FLOOR_FRAMES, FLOOR_FRAMES * 1e-4)
    assert budgets.per_frame_s("p") == pytest.approx(1e-4)


def test_an_initial_cost_applies_before_any_measurement() -> None:
    budgets = PortBudgets(round_s=0.001, initial_s=50e-6)
    assert budgets.frames("p", 256) == 20
    budgets.forget("p")
    assert budgets.frames("p", 256) == 20


def test_poll_takes_from_a_costly_port_only_what_fits_a_round() -> None:
    world = World(load_config(t1(OPEN)), fastpath=True)
    engine = HostEngine("host-1", world.program, world.clock, MemoryPort("underlay"),
                        round_s=0.001)
    assert engine.budgets is not None
    flooder, bystander = MemoryPort("eni-a"), MemoryPort("eni-fw")
    engine.attach("eni-a", flooder)
    engine.attach("eni-fw", bystander)
    engine.budgets.spent("eni-a", 256, 256 * 25e-6)
    frames = [build_send(world.program, {"from": "eni-a", "dst": "10.0.1.20", "proto": "udp",
                                         "sport": 40000 + i, "dport": 53}).frames[0]
              for i in range(300)]
    for frame in frames:
        flooder.inject(frame)
    bystander.inject(build_send(world.program, {"from": "eni-fw", "dst": "10.0.2.30",
                                                "proto": "icmp", "icmp_type": 8}).frames[0])
    assert engine.poll() == 40 + 1
    assert len(flooder.inbound) == 300 - 40 and not bystander.inbound


def test_engines_without_a_round_budget_keep_frame_budgets_only() -> None:
    world = World(load_config(t1(OPEN)), fastpath=True)
    engine = world.engines["host-1"]
    assert engine.budgets is None and engine.backlog is None
