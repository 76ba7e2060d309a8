"""Per-ENI counters: every drop under its stage and `drop.<stage>.<reason>` on the ENI it
concerns; conntrack and packet allowances (SG-R25, ALW-R1, FL-R13's sender/receiver split)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dp_support import make_cloud, send
from smartnic.clock import VirtualClock
from smartnic.model import Config

DENY_NACL = {"nacls": [{"id": "acl-x", "vpc": "vpc-a",
                        "ingress": [{"n": 10, "action": "deny", "proto": "udp", "ports": "7",
                                     "cidr": "0.0.0.0/0"},
                                    {"n": 20, "action": "allow", "proto": "tcp",
                                     "ports": "0-65535", "cidr": "0.0.0.0/0"}],
                        "egress": [{"n": 10, "action": "deny", "proto": "tcp", "ports": "25",
                                    "cidr": "0.0.0.0/0"},
                                   {"n": 20, "action": "allow", "proto": "all",
                                    "cidr": "0.0.0.0/0"}]}],
             "subnets": [{"id": "subnet-2", "nacl": "acl-x"}, {"id": "subnet-1", "nacl": "acl-x"}]}


def _tcp(src_eni: str, dst: str, dport: int, sport: int = 40000, **extra: Any) -> dict[str, Any]:
    return dict(src_eni=src_eni, dst=dst, proto="tcp", sport=sport, dport=dport,
                flags="S") | extra


def _only_drop(counters: dict[str, int], stage: str, reason: str, times: int = 1) -> None:
    drops = {k: v for k, v in counters.items() if k.startswith("drop.")}
    assert drops == {f"drop.{stage}.{reason}": times}
    assert counters[stage] == times and counters["drops"] == times


def test_receiver_sg_drop_is_counted_on_the_receiver(build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1())
    for sport in (1, 2):
        send(cloud, **_tcp("eni-a", "10.0.2.30", 22, sport))
    _only_drop(cloud.eni_counters("eni-c"), "dst_sg_ingress", "no_matching_rule", 2)
    assert "drops" not in cloud.eni_counters("eni-a")


def test_sender_sg_drop_is_counted_on_the_sender(build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({"security_groups": [{"id": "sg-a", "egress": []}]}))
    send(cloud, **_tcp("eni-a", "10.0.2.30", 22))
    _only_drop(cloud.eni_counters("eni-a"), "src_sg_egress", "no_matching_rule")
    assert "drops" not in cloud.eni_counters("eni-c")


OPEN_C = {"security_groups": [{"id": "sg-c", "ingress": [{"proto": "all", "peer": "0.0.0.0/0"}]}]}


def test_sender_nacl_drop_is_counted_on_the_sender(build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**DENY_NACL, **OPEN_C}))
    send(cloud, **_tcp("eni-a", "10.0.2.30", 25))  # egress rule 10
    _only_drop(cloud.eni_counters("eni-a"), "src_nacl_egress", "deny_rule")
    before = cloud.eni_counters("eni-c").get("rx_packets", 0)
    assert send(cloud, **_tcp("eni-a", "10.0.2.30", 80)).to == "eni-c"
    assert cloud.eni_counters("eni-c")["rx_packets"] == before + 1


def test_receiver_nacl_drop_names_deny_rule_or_default_deny(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**DENY_NACL, **OPEN_C}))
    udp = send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=7)
    icmp = send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="icmp", icmp_type=8)
    assert (udp.drop.stage, udp.drop.reason) == ("dst_nacl_ingress", "deny_rule")
    assert (icmp.drop.stage, icmp.drop.reason) == ("dst_nacl_ingress", "default_deny")


def test_receiver_nacl_drops_are_counted_on_the_receiver(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**DENY_NACL, **OPEN_C}))
    udp = send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=7)
    send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="icmp", icmp_type=8)
    assert udp.drop.eni_id == "eni-c"
    counters = cloud.eni_counters("eni-c")
    assert counters["drop.dst_nacl_ingress.deny_rule"] == 1
    assert counters["drop.dst_nacl_ingress.default_deny"] == 1
    assert counters["dst_nacl_ingress"] == 2


def test_routing_and_anti_spoofing_drops_are_counted_on_the_sender(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({"route_tables": [{"id": "rtb-main", "routes": [
        {"dst": "10.5.0.0/16", "target": "eni-gone"}]}]}))
    send(cloud, **_tcp("eni-a", "10.5.0.1", 80))
    send(cloud, **_tcp("eni-a", "192.0.2.1", 80))
    send(cloud, **_tcp("eni-a", "10.0.2.30", 80, src="10.0.1.99"))
    counters = cloud.eni_counters("eni-a")
    assert counters["drop.route_blackhole.target_unavailable"] == 1
    assert counters["drop.no_route.no_matching_route"] == 1
    assert counters["drop.src_dst_check.source_not_owned"] == 1
    assert counters["drops"] == 3


def test_conntrack_full_drops_new_flows_and_counts_sg_r25(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({
        "enis": [{"id": "eni-c", "limits": {"conntrack_max": 2}}],
        "security_groups": [{"id": "sg-c", "ingress": [{"proto": "tcp", "ports": "80",
                                                        "peer": "10.0.1.10/32"}]}]}))
    assert send(cloud, **_tcp("eni-a", "10.0.2.30", 80, 40001)).to == "eni-c"
    assert send(cloud, **_tcp("eni-a", "10.0.2.30", 80, 40002)).to == "eni-c"
    third = send(cloud, **_tcp("eni-a", "10.0.2.30", 80, 40003))
    assert third.result == "dropped" and third.drop.stage == "conntrack_full"
    counters = cloud.eni_counters("eni-c")
    assert counters["conntrack_allowance_exceeded"] == 1
    assert counters["conntrack_allowance_available"] == 0
    assert counters["drop.conntrack_full.conntrack_table_full"] == 1
    assert send(cloud, **_tcp("eni-a", "10.0.2.30", 80, 40001, flags="A")).to == "eni-c"


def test_untracked_flows_do_not_consume_conntrack_capacity_sg_r20_r25(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({
        "enis": [{"id": "eni-c", "limits": {"conntrack_max": 2}}],
        "security_groups": [{"id": "sg-c", "ingress": [{"proto": "tcp", "ports": "80",
                                                        "peer": "0.0.0.0/0"}],
                             "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]}]}))
    for sport in (40001, 40002, 40003, 40004):
        assert send(cloud, **_tcp("eni-a", "10.0.2.30", 80, sport)).to == "eni-c"
    counters = cloud.eni_counters("eni-c")
    assert counters["conntrack_allowance_exceeded"] == 0
    assert counters["conntrack_allowance_available"] == 2


def test_pps_allowance_drops_the_excess_and_counts_it_alw_r1(
        build_t1: Callable[..., Config]) -> None:
    clock = VirtualClock()
    cloud = make_cloud(build_t1({
        "enis": [{"id": "eni-a", "limits": {"pps": 100}}],
        "security_groups": [{"id": "sg-c", "ingress": [{"proto": "udp", "ports": "9000",
                                                        "peer": "10.0.0.0/16"}]}]}), clock)
    results = []
    for _ in range(150):
        clock.advance(0.002)  # 150 packets within 0.3 s
        results.append(send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000,
                            dport=9000).result)
    assert results.count("delivered") == 100
    counters = cloud.eni_counters("eni-a")
    assert counters["pps_allowance_exceeded"] == 50
    assert counters["drop.allowance_exceeded.pps_allowance"] == 50
    clock.advance(1.0)
    assert send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000,
                dport=9000).to == "eni-c"
