"""Flow cache: hits replay the slow path's decision byte for byte; a new Program generation or
an expired tracked connection sends the flow back to the slow path (SG-R22, SG-R24)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dp_support import frames_for, make_cloud, send
from smartnic.clock import VirtualClock
from smartnic.dataplane.conntrack import states as ct
from smartnic.dataplane.flowtable import FlowTable
from smartnic.model import Config

TRACKED_22 = {"security_groups": [{"id": "sg-c", "ingress": [
    {"proto": "tcp", "ports": "22", "peer": "10.0.1.10/32"},
    {"proto": "udp", "ports": "9000", "peer": "10.0.1.10/32"}]}]}
UNTRACKED_80 = {"security_groups": [{"id": "sg-c", "ingress": [
    {"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}],
    "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]}]}
CLOSED = {"security_groups": [{"id": "sg-c", "ingress": []}]}


def _spec(**extra: Any) -> dict[str, Any]:
    return dict(src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000, dport=22,
                flags="S") | extra


def test_second_packet_hits_the_cache_with_identical_output(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(TRACKED_22))
    engine = cloud.hosts["host-1"]
    frame, = frames_for(cloud, **_spec(flags="A"))
    first = engine.process_vm_batch("eni-a", [frame])
    assert (engine.flows.hits, engine.flows.misses) == (0, 1)
    second = engine.process_vm_batch("eni-a", [frame])
    assert (engine.flows.hits, engine.flows.misses) == (1, 1)
    assert [(e.port, e.frame) for e in second] == [(e.port, e.frame) for e in first]
    assert [e.port for e in first] == ["underlay"]
    entry, = engine.ctx.conntrack.entries("eni-a")
    assert entry.packets_orig == 2  # the cached action still accounts the packet


def test_cache_hits_are_journaled_and_delivered_identically(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(TRACKED_22))
    first = send(cloud, **_spec())
    second = send(cloud, **_spec())
    assert [e.cached for e in first.events] == [False, False]
    assert [e.cached for e in second.events] == [True, True]
    assert second.frames_to("eni-c") == first.frames_to("eni-c") != []


def test_untracked_flow_is_cut_when_its_rule_is_removed_sg_r22(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(UNTRACKED_80))
    spec = _spec(dport=80)
    assert send(cloud, **spec).to == "eni-c"
    assert send(cloud, **spec).events[-1].cached
    assert cloud.hosts["host-3"].ctx.conntrack.entries("eni-c") == []  # SG-R20: untracked
    program = cloud.apply(build_t1(CLOSED))
    assert program.generation == 2
    assert all(h.ctx.program.generation == 2 for h in cloud.hosts.values())
    journey = send(cloud, **spec)
    assert journey.result == "dropped" and journey.drop.stage == "dst_sg_ingress"
    assert not journey.events[-1].cached


def test_tracked_flow_survives_rule_removal_new_flows_do_not_sg_r22(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(TRACKED_22))
    assert send(cloud, **_spec()).to == "eni-c"
    reply = dict(src_eni="eni-c", dst="10.0.1.10", proto="tcp", sport=22, dport=40000,
                 flags="SA")
    assert send(cloud, **reply).to == "eni-a"
    assert send(cloud, **_spec(flags="A")).to == "eni-c"
    misses = cloud.hosts["host-3"].flows.misses
    cloud.apply(build_t1(CLOSED))
    continuing = send(cloud, **_spec(flags="PA"))
    assert continuing.to == "eni-c"
    assert cloud.hosts["host-3"].flows.misses == misses + 1  # re-decided, not trusted
    fresh = send(cloud, **_spec(sport=40001))
    assert fresh.result == "dropped" and fresh.drop.stage == "dst_sg_ingress"


def test_expired_connection_stops_a_cached_reply_sg_r24(build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = make_cloud(build_t1(TRACKED_22), clock)
    request = dict(src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=9000)
    reply = dict(src_eni="eni-c", dst="10.0.1.10", proto="udp", sport=9000, dport=40000)
    assert send(cloud, **request).to == "eni-c"
    assert send(cloud, **reply).to == "eni-a"
    clock.advance(20)
    again = send(cloud, **reply)
    assert again.to == "eni-a" and all(e.cached for e in again.events)
    clock.advance(30.5)  # UdpTimeout 30 s after the last packet (single exchange)
    late = send(cloud, **reply)
    assert late.result == "dropped" and late.drop.stage == "dst_sg_ingress"
    assert late.drop.eni_id == "eni-a"


def test_flow_table_evicts_the_oldest_entry_beyond_capacity() -> None:
    table = FlowTable(capacity=2)
    sentinel: Any = object()
    for key in ("a", "b", "c"):
        table.install(key, sentinel)
    assert len(table) == 2 and table.get("a") is None and table.get("c") is sentinel
    table.remove("c")
    assert table.get("c") is None


def test_syn_reusing_a_closed_connection_through_the_cache_opens_a_new_one(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(TRACKED_22))
    reply = dict(src_eni="eni-c", dst="10.0.1.10", proto="tcp", sport=22, dport=40000)
    for spec in (_spec(), reply | {"flags": "SA"}, _spec(flags="A"), _spec(flags="FA"),
                 reply | {"flags": "FA"}, _spec(flags="A")):
        assert send(cloud, **spec).result == "delivered"
    states = {e.eni_id: e.state for h in cloud.hosts.values()
              for e in h.ctx.conntrack.entries("eni-a") + h.ctx.conntrack.entries("eni-c")}
    assert states == {"eni-a": ct.TCP_TIME_WAIT, "eni-c": ct.TCP_TIME_WAIT}
    reopened = send(cloud, **_spec())
    assert reopened.to == "eni-c"
    entry, = cloud.hosts["host-1"].ctx.conntrack.entries("eni-a")
    assert entry.state == ct.TCP_SYN_SENT and entry.packets_orig == 1  # a fresh connection
    assert send(cloud, **reply, flags="SA").to == "eni-a"  # sg-a admits it only by tracking


def test_connection_reopened_after_rst_is_established_by_its_cached_replies_sg_r24(
        build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = make_cloud(build_t1(TRACKED_22), clock)
    reply = dict(src_eni="eni-c", dst="10.0.1.10", proto="tcp", sport=22, dport=40000)
    for spec in (_spec(), reply | {"flags": "SA"}, _spec(flags="A"),  # handshake
                 _spec(flags="R"),  # reset
                 _spec(), reply | {"flags": "SA"}, _spec(flags="A")):  # same ports again
        assert send(cloud, **spec).result == "delivered"
        clock.advance(0.01)
    entry, = cloud.hosts["host-1"].ctx.conntrack.entries("eni-a")
    assert entry.state == ct.TCP_ESTABLISHED
    clock.advance(300)  # idle well within TcpEstablishedTimeout, beyond SYN_SENT's
    assert send(cloud, **reply, flags="PA").to == "eni-a"
