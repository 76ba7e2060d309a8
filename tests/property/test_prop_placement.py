"""Property: a packet's fate does not depend on where the ENIs live. Cross-host delivery
(VXLAN between engines, sender identity in the overlay) equals same-host delivery, for random
SG/NACL policies and packet sequences (architecture: one slow path for every placement)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from prop_support import CROSS_HOST, SAME_HOST, Step, policies, run, steps
from smartnic.model import Config


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), sequence=steps(policies()))
def test_cross_host_equals_same_host(build_t1: Callable[..., Config], policy: dict[str, Any],
                                     sequence: list[Step]) -> None:
    cross, cross_cloud = run(build_t1, policy, CROSS_HOST, sequence)
    same, same_cloud = run(build_t1, policy, SAME_HOST, sequence)
    assert cross == same
    for eni_id in ("eni-a", "eni-b", "eni-c"):
        assert (_conntrack(cross_cloud, eni_id) == _conntrack(same_cloud, eni_id)), eni_id


def _conntrack(cloud: Any, eni_id: str) -> list[tuple[Any, ...]]:
    host = cloud.hosts[cloud.program.enis[eni_id].host_id]
    return sorted((e.key, e.state, e.packets_orig, e.packets_reply)
                  for e in host.ctx.conntrack.entries(eni_id))


@settings(max_examples=100, deadline=None, derandomize=True, phases=[Phase.generate],
          report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), sequence=steps(policies()))
def test_per_eni_counters_do_not_depend_on_placement(
        build_t1: Callable[..., Config], policy: dict[str, Any], sequence: list[Step]) -> None:
    _, cross_cloud = run(build_t1, policy, CROSS_HOST, sequence)
    _, same_cloud = run(build_t1, policy, SAME_HOST, sequence)
    for eni_id in ("eni-a", "eni-b", "eni-c"):
        assert cross_cloud.eni_counters(eni_id) == same_cloud.eni_counters(eni_id), eni_id


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), sequence=steps(policies(), conversations=True))
def test_tcp_conversations_do_not_depend_on_placement(
        build_t1: Callable[..., Config], policy: dict[str, Any], sequence: list[Step]) -> None:
    cross, cross_cloud = run(build_t1, policy, CROSS_HOST, sequence)
    same, same_cloud = run(build_t1, policy, SAME_HOST, sequence)
    assert cross == same
    for eni_id in ("eni-a", "eni-b", "eni-c"):
        assert _conntrack(cross_cloud, eni_id) == _conntrack(same_cloud, eni_id), eni_id
