"""Normalization: default objects (SG-R13/R14, NACL-R10, RT-R1), canonical forms, MACs, hosts."""

from __future__ import annotations

import re
from typing import Any

from model_support import base_config

from smartnic.model import Config, SgRule, load_config


def _by_id(items: list[Any], item_id: str) -> Any:
    return next(item for item in items if item.id == item_id)


def _rules(rules: list[SgRule]) -> list[tuple[Any, str]]:
    return [(rule.proto, rule.peer) for rule in rules]


def test_vpc_default_objects_are_created_with_derived_ids() -> None:
    config = load_config(base_config())
    vpc = config.vpcs[0]
    assert (vpc.default_sg, vpc.default_nacl, vpc.main_route_table) == (
        "sg-default-vpc-a",
        "acl-default-vpc-a",
        "rtb-main-vpc-a",
    )
    default_sg = _by_id(config.security_groups, "sg-default-vpc-a")
    # SG-R14: inbound all from itself, outbound all IPv4 and (IPv6 VPC) all IPv6.
    assert default_sg.default and default_sg.name == "default"
    assert _rules(default_sg.ingress) == [("all", "sg-default-vpc-a")]
    assert _rules(default_sg.egress) == [("all", "0.0.0.0/0"), ("all", "::/0")]
    nacl = _by_id(config.nacls, "acl-default-vpc-a")
    # NACL-R10: rule 100 all IPv4, 101 all IPv6, both directions.
    for rules in (nacl.ingress, nacl.egress):
        assert [(r.n, r.action, r.proto, r.cidr) for r in rules] == [
            (100, "allow", "all", "0.0.0.0/0"),
            (101, "allow", "all", "::/0"),
        ]
    table = _by_id(config.route_tables, "rtb-main-vpc-a")
    assert table.main and table.routes == []


def test_ipv4_only_vpc_gets_ipv4_only_defaults() -> None:
    data = base_config()
    data["vpcs"][0]["ipv6_cidrs"] = []
    del data["subnets"][0]["ipv6_cidr"]
    config = load_config(data)
    assert _rules(_by_id(config.security_groups, "sg-default-vpc-a").egress) == [
        ("all", "0.0.0.0/0")
    ]
    assert [r.n for r in _by_id(config.nacls, "acl-default-vpc-a").ingress] == [100]


def test_named_but_undefined_defaults_are_created_with_the_given_ids() -> None:
    data = base_config()
    data["vpcs"][0].update(default_sg="sg-d", default_nacl="acl-d", main_route_table="rtb-m")
    config = load_config(data)
    assert _by_id(config.security_groups, "sg-d").default
    assert _by_id(config.nacls, "acl-d").vpc == "vpc-a"
    assert _by_id(config.route_tables, "rtb-m").main


def test_flagged_default_sg_and_main_table_are_adopted() -> None:
    data = base_config()
    data["security_groups"].append({"id": "sg-d", "vpc": "vpc-a", "default": True})
    data["route_tables"] = [{"id": "rtb-x", "vpc": "vpc-a", "main": True}]
    vpc = load_config(data).vpcs[0]
    assert (vpc.default_sg, vpc.main_route_table) == ("sg-d", "rtb-x")


def test_omitted_sg_rules_follow_sg_r13_and_explicit_empty_lists_stay_empty() -> None:
    data = base_config()
    data["security_groups"].append({"id": "sg-e", "vpc": "vpc-a", "ingress": [], "egress": []})
    config = load_config(data)
    sg = _by_id(config.security_groups, "sg-a")
    assert sg.ingress == [] and _rules(sg.egress) == [("all", "0.0.0.0/0")]  # SG-R13, SG-R15 [U]
    empty = _by_id(config.security_groups, "sg-e")
    assert (empty.ingress, empty.egress) == ([], [])


def test_sg_rules_get_stable_unique_rule_ids() -> None:
    data = base_config()
    data["security_groups"][0]["ingress"] = [
        {"proto": "tcp", "ports": 22, "peer": "10.0.0.0/16"},
        {"proto": "tcp", "ports": 80, "peer": "10.0.0.0/16", "rule_id": "sgr-a-in-2"},
        {"proto": "tcp", "ports": 443, "peer": "10.0.0.0/16"},
    ]
    sg = _by_id(load_config(data).security_groups, "sg-a")
    assert [r.rule_id for r in sg.ingress] == ["sgr-a-in-0", "sgr-a-in-2", "sgr-a-in-3"]
    assert [r.rule_id for r in sg.egress] == ["sgr-a-out-0"]


def test_subnets_and_enis_get_vpc_defaults() -> None:
    data = base_config()
    del data["enis"][0]["sgs"]
    config = load_config(data)
    assert {(s.nacl, s.route_table) for s in config.subnets} == {
        ("acl-default-vpc-a", "rtb-main-vpc-a")
    }
    assert config.enis[0].sgs == ["sg-default-vpc-a"]


def test_macs_are_stable_locally_administered_unicast_and_unique() -> None:
    data = base_config()
    data["enis"] = [
        {"id": f"eni-{n}", "subnet": "subnet-1", "ips": [f"10.0.1.{n + 10}"]} for n in range(40)
    ]
    data["enis"][0]["mac"] = "02-AA-BB-CC-DD-EE"
    first, second = load_config(data), load_config(data)
    macs = [eni.mac for eni in first.enis]
    assert macs == [eni.mac for eni in second.enis]
    assert macs[0] == "02:aa:bb:cc:dd:ee"
    assert len(set(macs)) == len(macs)
    for mac in macs[1:]:
        assert re.fullmatch(r"0[26ae](:[0-9a-f]{2}){5}", mac or ""), mac  # ENI-R4


def _eni_list(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"eni-{n}", "subnet": "subnet-1", "ips": [f"10.0.1.{n + 10}"]} for n in range(count)
    ]


def test_without_hosts_enis_spread_over_three_default_hosts() -> None:
    data = base_config()
    data["enis"] = _eni_list(5)
    hosts = load_config(data).hosts
    assert [(h.id, h.enis, h.underlay_ip) for h in hosts] == [
        ("host-1", ["eni-0", "eni-3"], "198.18.0.1"),
        ("host-2", ["eni-1", "eni-4"], "198.18.0.2"),
        ("host-3", ["eni-2"], "198.18.0.3"),
    ]


def test_unlisted_enis_go_to_the_emptiest_host() -> None:
    data = base_config()
    data["enis"] = _eni_list(5)
    data["hosts"] = [
        {"id": "h-a", "enis": ["eni-4", "eni-3"], "underlay_ip": "192.0.2.1"},
        {"id": "h-b"},
    ]
    hosts = load_config(data).hosts
    assert [(h.id, h.enis, h.underlay_ip) for h in hosts] == [
        ("h-a", ["eni-4", "eni-3", "eni-2"], "192.0.2.1"),
        ("h-b", ["eni-0", "eni-1"], "198.18.0.2"),
    ]


def test_cidrs_are_canonicalised_where_aws_clears_host_bits() -> None:
    data = base_config()
    data["vpcs"][0]["cidrs"] = [" 10.0.0.0/16"]
    data["subnets"][0].update(cidr="10.0.1.0/24", ipv6_cidr="2001:DB8:1:1:0::/64")
    data["prefix_lists"] = [{"id": "pl-1", "max_entries": 2, "entries": ["100.68.0.18/18"]}]
    data["security_groups"][0]["ingress"] = [{"proto": "all", "peer": "10.0.1.9/24"}]
    data["nacls"] = [{"id": "acl-1", "vpc": "vpc-a", "ingress": [
        {"n": 200, "action": "deny", "proto": "all", "cidr": "10.1.2.3/8"}]}]  # fmt: skip
    routes = [{"dst": "172.16.3.3/12", "target": "igw-x"}]
    data["route_tables"] = [{"id": "rtb-1", "vpc": "vpc-a", "routes": routes}]
    config = load_config(data)
    assert config.vpcs[0].cidrs == ["10.0.0.0/16"]
    subnet = config.subnets[0]
    assert (subnet.cidr, subnet.ipv6_cidr) == ("10.0.1.0/24", "2001:db8:1:1::/64")
    assert config.prefix_lists[0].entries == ["100.68.0.0/18"]  # NACL-R12 example
    assert config.prefix_lists[0].address_family == "IPv4"
    assert (config.security_groups[0].ingress or [])[0].peer == "10.0.1.0/24"  # SG-R7 [U]
    assert _by_id(config.nacls, "acl-1").ingress[0].cidr == "10.0.0.0/8"
    assert _by_id(config.route_tables, "rtb-1").routes[0].dst == "172.16.0.0/12"


def test_rule_protocols_ports_and_icmp_fields_are_canonical() -> None:
    data = base_config()
    data["security_groups"][0]["ingress"] = [
        {"proto": "TCP", "ports": "22-22", "peer": "10.0.0.0/16"},
        {"proto": 6, "ports": "1000-2000", "peer": "10.0.0.0/16"},
        {"proto": "-1", "ports": "80", "peer": "::/0"},
        {"proto": 47, "ports": 80, "peer": "10.0.0.0/8"},
        {"proto": "icmpv6", "peer": "::/0"},
    ]
    icmp_rule = {"n": 100, "action": "allow", "proto": 1, "icmp_type": 3, "icmp_code": 4}
    data["nacls"] = [{"id": "acl-1", "vpc": "vpc-a", "ingress": [
        {"n": 200, "action": "deny", "proto": "17", "ports": "53", "cidr": "10.0.0.0/8"},
        {**icmp_rule, "cidr": "0.0.0.0/0"}]}]  # fmt: skip
    config: Config = load_config(data)
    rules = config.security_groups[0].ingress or []
    assert [(r.proto, r.ports, r.icmp_type, r.icmp_code) for r in rules] == [
        ("tcp", "22", None, None),
        ("tcp", "1000-2000", None, None),
        ("all", None, None, None),  # SG-R4: ports ignored for all / other protocols
        (47, None, None, None),
        ("icmpv6", None, -1, -1),  # SG-R4: omitted ICMPv6 type/code = all
    ]
    nacl = _by_id(config.nacls, "acl-1")
    assert [(r.n, r.proto, r.ports, r.icmp_type) for r in nacl.ingress] == [
        (100, "icmp", None, 3),  # sorted by number (NACL-R3)
        (200, "udp", "53", None),
    ]


def test_default_flow_log_format_is_expanded_to_the_v2_fields() -> None:
    data = base_config()
    data["flow_logs"] = [{"id": "fl-1", "resource": "vpc-a"}]
    assert load_config(data).flow_logs[0].format[:3] == ["version", "account-id", "interface-id"]
