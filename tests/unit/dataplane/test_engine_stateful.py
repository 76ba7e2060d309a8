"""Stateful security groups end to end on the in-process cloud: tracking, untracked flows,
timeouts on the virtual clock, ICMP and other protocols, NACLs vs tracked replies, and the
middlebox caveat of SG references (SG-R9a, SG-R18..R24, SG-R26, ORD-R3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dp_support import make_cloud, send
from smartnic.clock import VirtualClock
from smartnic.model import Config
from smartnic.net.cloud import Cloud


def _cloud(build_t1: Callable[..., Config], patch: dict[str, Any],
           clock: VirtualClock | None = None) -> Cloud:
    return make_cloud(build_t1(patch), clock)


def _sg(sg_id: str, ingress: list[dict[str, Any]],
        egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"id": sg_id, "ingress": ingress}
    if egress is not None:
        group["egress"] = egress
    return group


UDP_A_TO_C = dict(src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=9000)
UDP_C_TO_A = dict(src_eni="eni-c", dst="10.0.1.10", proto="udp", sport=9000, dport=40000)
UDP_9000 = {"security_groups": [_sg("sg-c", [{"proto": "udp", "ports": "9000",
                                              "peer": "10.0.1.0/24"}])]}


def test_reply_is_admitted_only_while_tracked_sg_r18(build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, UDP_9000)
    unsolicited = send(cloud, **UDP_C_TO_A)
    assert unsolicited.result == "dropped" and unsolicited.drop.stage == "dst_sg_ingress"
    assert send(cloud, **UDP_A_TO_C).to == "eni-c"
    assert send(cloud, **UDP_C_TO_A).to == "eni-a"


def test_udp_single_exchange_expires_after_30_s_sg_r24(build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = _cloud(build_t1, UDP_9000, clock)
    send(cloud, **UDP_A_TO_C)
    clock.advance(29)
    assert send(cloud, **UDP_C_TO_A).to == "eni-a"  # first reply: one transaction
    clock.advance(31)
    late = send(cloud, **UDP_C_TO_A)
    assert late.result == "dropped" and late.drop.stage == "dst_sg_ingress"


def test_udp_stream_lives_180_s_sg_r24(build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = _cloud(build_t1, UDP_9000, clock)
    for _ in range(2):  # two request/response transactions
        send(cloud, **UDP_A_TO_C)
        assert send(cloud, **UDP_C_TO_A).to == "eni-a"
    clock.advance(179)
    assert send(cloud, **UDP_C_TO_A).to == "eni-a"
    clock.advance(180)
    assert send(cloud, **UDP_C_TO_A).result == "dropped"


def test_per_eni_udp_timeout_is_honoured_sg_r24(build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = _cloud(build_t1, {**UDP_9000, "enis": [{"id": "eni-a", "conntrack": {
        "udp_timeout": 60}}]}, clock)
    send(cloud, **UDP_A_TO_C)
    clock.advance(59)
    assert send(cloud, **UDP_C_TO_A).to == "eni-a"
    clock.advance(61)
    assert send(cloud, **UDP_C_TO_A).result == "dropped"


def test_untracked_flow_creates_no_entry_and_replies_need_a_rule_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, {"security_groups": [
        _sg("sg-c", [{"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}],
            [{"proto": "all", "peer": "0.0.0.0/0"}])]})
    assert send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000, dport=80,
                flags="S").to == "eni-c"
    assert cloud.eni_counters("eni-c")["conntrack_entries"] == 0
    assert cloud.eni_counters("eni-a")["conntrack_entries"] == 1  # sg-a's side is tracked
    assert send(cloud, src_eni="eni-c", dst="10.0.1.10", proto="tcp", sport=80, dport=40000,
                flags="SA").to == "eni-a"


def test_tracked_when_the_permitting_rule_is_narrow_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, {"security_groups": [
        _sg("sg-c", [{"proto": "tcp", "ports": "22", "peer": "10.0.1.10/32"}],
            [{"proto": "all", "peer": "0.0.0.0/0"}])]})
    send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000, dport=22, flags="S")
    assert cloud.eni_counters("eni-c")["conntrack_entries"] == 1


def test_icmp_is_tracked_under_allow_all_and_survives_rule_removal_sg_r21_r22(
        build_t1: Callable[..., Config]) -> None:
    allow_all = {"security_groups": [_sg("sg-c", [{"proto": "all", "peer": "0.0.0.0/0"}],
                                         [{"proto": "all", "peer": "0.0.0.0/0"}])]}
    cloud = _cloud(build_t1, allow_all)
    ping = dict(src_eni="eni-a", dst="10.0.2.30", proto="icmp", icmp_type=8, icmp_id=11)
    assert send(cloud, **ping).to == "eni-c"
    assert cloud.eni_counters("eni-c")["conntrack_entries"] == 1
    assert send(cloud, src_eni="eni-c", dst="10.0.1.10", proto="icmp", icmp_type=0,
                icmp_id=11).to == "eni-a"
    cloud.apply(build_t1({"security_groups": [_sg("sg-c", [])]}))
    assert send(cloud, **ping).to == "eni-c"
    fresh = send(cloud, **(ping | {"icmp_id": 12}))
    assert fresh.result == "dropped" and fresh.drop.stage == "dst_sg_ingress"


def test_other_protocols_are_tracked_by_address_pair_for_600_s_sg_r19(
        build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = _cloud(build_t1, {"security_groups": [_sg("sg-c", [{"proto": 47,
                                                                "peer": "10.0.1.10/32"}])]},
                   clock)
    gre_out = dict(src_eni="eni-a", dst="10.0.2.30", proto=47, length=60)
    gre_back = dict(src_eni="eni-c", dst="10.0.1.10", proto=47, length=60)
    assert send(cloud, **gre_out).to == "eni-c"
    clock.advance(599)
    assert send(cloud, **gre_back).to == "eni-a"
    clock.advance(600)
    late = send(cloud, **gre_back)
    assert late.result == "dropped" and late.drop.stage == "dst_sg_ingress"


def test_icmp_errors_are_not_related_to_the_flow_they_quote_sg_r26(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, UDP_9000)
    assert send(cloud, **UDP_A_TO_C).to == "eni-c"
    error = send(cloud, src_eni="eni-c", dst="10.0.1.10", proto="icmp", icmp_type=3,
                 icmp_code=3)
    assert error.result == "dropped" and error.drop.stage == "dst_sg_ingress"


def test_tracked_replies_do_not_bypass_nacls_ord_r3(build_t1: Callable[..., Config]) -> None:
    nacl = {"nacls": [{"id": "acl-1", "vpc": "vpc-a",
                       "ingress": [{"n": 10, "action": "deny", "proto": "udp",
                                    "ports": "32768-65535", "cidr": "10.0.2.0/24"},
                                   {"n": 100, "action": "allow", "proto": "all",
                                    "cidr": "0.0.0.0/0"}],
                       "egress": [{"n": 100, "action": "allow", "proto": "all",
                                   "cidr": "0.0.0.0/0"}]}],
            "subnets": [{"id": "subnet-1", "nacl": "acl-1"}]}
    cloud = _cloud(build_t1, {**UDP_9000, **nacl})
    assert send(cloud, **UDP_A_TO_C).to == "eni-c"
    reply = send(cloud, **UDP_C_TO_A)
    assert reply.result == "dropped" and reply.drop.stage == "dst_nacl_ingress"


def test_adding_a_nacl_cuts_an_established_tracked_flow_sg_r22(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, UDP_9000)
    assert send(cloud, **UDP_A_TO_C).to == "eni-c"
    cloud.apply(build_t1({**UDP_9000, "nacls": [{"id": "acl-2", "vpc": "vpc-a", "ingress": [],
                                                 "egress": []}],
                          "subnets": [{"id": "subnet-2", "nacl": "acl-2"}]}))
    cut = send(cloud, **UDP_A_TO_C)
    assert cut.result == "dropped" and cut.drop.stage == "dst_nacl_ingress"


def test_sg_reference_refuses_traffic_forwarded_by_a_middlebox_sg_r9a(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, {
        "route_tables": [{"id": "rtb-1", "vpc": "vpc-a", "routes": [
            {"dst": "10.0.2.0/24", "target": "eni-fw"}]}],
        "subnets": [{"id": "subnet-1", "route_table": "rtb-1"}],
        "security_groups": [_sg("sg-c", [{"proto": "tcp", "ports": "80", "peer": "sg-a"}])]})
    syn = dict(src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000, dport=80, flags="S")
    assert send(cloud, **syn).to == "eni-fw"  # the more specific route to the middlebox
    forwarded = send(cloud, **(syn | {"src_eni": "eni-fw", "src": "10.0.1.10"}))
    assert forwarded.result == "dropped" and forwarded.drop.stage == "dst_sg_ingress"


def test_source_destination_check_eni_r6(build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, {"security_groups": [_sg("sg-c", [{"proto": "all",
                                                                "peer": "10.0.0.0/16"}])]})
    spoofed = dict(src_eni="eni-a", src="10.0.1.99", dst="10.0.2.30", proto="udp", sport=1,
                   dport=2)
    journey = send(cloud, **spoofed)
    assert journey.result == "dropped" and journey.drop.stage == "src_dst_check"
    assert send(cloud, **(spoofed | {"src_eni": "eni-fw"})).to == "eni-c"  # check disabled


def test_echo_request_in_the_opposite_direction_is_not_a_reply_sg_r19(
        build_t1: Callable[..., Config]) -> None:
    cloud = _cloud(build_t1, {"security_groups": [_sg("sg-c", [{"proto": "icmp", "icmp_type": 8,
                                                                "icmp_code": -1,
                                                                "peer": "10.0.0.0/16"}])]})
    assert send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="icmp", icmp_type=8,
                icmp_id=5).to == "eni-c"
    reverse = send(cloud, src_eni="eni-c", dst="10.0.1.10", proto="icmp", icmp_type=8,
                   icmp_id=5)
    assert reverse.result == "dropped" and reverse.drop.stage == "dst_sg_ingress"
    assert send(cloud, src_eni="eni-c", dst="10.0.1.10", proto="icmp", icmp_type=0,
                icmp_id=5).to == "eni-a"
