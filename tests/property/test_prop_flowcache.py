"""Property: the flow cache only replays. A cloud whose engines serve later packets from the
cache reaches the same verdicts, delivers the same bytes and ends with the same connection
tracking and counters as one whose caches are emptied before every packet (architecture:
'the fast path only replays what the slow path decided')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from prop_support import CROSS_HOST, SAME_HOST, Step, policies, run, steps
from smartnic.model import Config
from smartnic.net.cloud import Cloud


def _forget_flows(cloud: Cloud) -> None:
    for engine in cloud.hosts.values():
        engine.flows._entries.clear()


def _state(cloud: Cloud) -> tuple[Any, ...]:
    conntrack = {
        eni_id: sorted((e.key, e.state, e.packets_orig, e.packets_reply, e.expires_s)
                       for e in cloud.hosts[eni.host_id].ctx.conntrack.entries(eni_id))
        for eni_id, eni in cloud.program.enis.items()}
    counters = {h: engine.ctx.counters.snapshot() for h, engine in cloud.hosts.items()}
    return conntrack, counters


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), sequence=steps(policies()))
def test_cache_hits_equal_fresh_slow_path_decisions(
        build_t1: Callable[..., Config], policy: dict[str, Any], sequence: list[Step]) -> None:
    for hosts in (CROSS_HOST, SAME_HOST):
        cached, cached_cloud = run(build_t1, policy, hosts, sequence)
        fresh, fresh_cloud = run(build_t1, policy, hosts, sequence, before_send=_forget_flows)
        assert cached == fresh
        assert _state(cached_cloud) == _state(fresh_cloud)
        assert sum(e.flows.hits for e in fresh_cloud.hosts.values()) == 0


def test_the_cached_cloud_does_hit(build_t1: Callable[..., Config]) -> None:
    send = Step("send", {"from": "eni-a", "dst": "10.0.1.20", "proto": "udp", "sport": 40000,
                         "dport": 53})
    policy = {"security_groups": [{"id": "sg-b", "ingress": [
        {"proto": "udp", "ports": "53", "peer": "10.0.0.0/16"}]}]}
    results, cloud = run(build_t1, policy, CROSS_HOST, [send, send, send])
    assert [r[0] for r in results] == ["delivered"] * 3
    assert sum(e.flows.hits for e in cloud.hosts.values()) == 4  # 2 engines x 2 replays


@settings(max_examples=200, deadline=None, derandomize=True, phases=[Phase.generate],
          report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), sequence=steps(policies(), conversations=True))
def test_cache_equals_slow_path_through_tcp_teardown_and_reopen(
        build_t1: Callable[..., Config], policy: dict[str, Any], sequence: list[Step]) -> None:
    for hosts in (CROSS_HOST, SAME_HOST):
        cached, cached_cloud = run(build_t1, policy, hosts, sequence)
        fresh, fresh_cloud = run(build_t1, policy, hosts, sequence, before_send=_forget_flows)
        assert cached == fresh
        assert _state(cached_cloud) == _state(fresh_cloud)
