"""Ranges and forms of single fields: AWS's ranges, the engine's where AWS has none, ids.

Each case names the rule it enforces (SG-R24, NACL-R2, TM-R3, ...) or the engine column it
protects; the limits themselves live in `smartnic.model.limits` and `model.mirror`.
"""

from __future__ import annotations

from typing import Any

import pytest
from model_support import base_config, refuse

from smartnic.model import deep_merge, load_config
from smartnic.model.limits import MAX_CONNTRACK_ROWS, MAX_PPS


def _eni(**fields: Any) -> dict[str, Any]:
    return {"enis": [{"id": "eni-a", **fields}]}


MIRROR_OK: dict[str, Any] = {
    "enis": [{"id": "eni-m", "subnet": "subnet-2", "ips": ["10.0.2.50"], "sgs": ["sg-a"]}],
    "mirror": {
        "targets": [{"id": "tmt-1", "eni": "eni-m"}],
        "filters": [{"id": "tmf-1", "ingress": [
            {"n": 10, "action": "accept", "proto": 6, "dst_ports": "80-80",
             "src": "0.0.0.0/0", "dst": "10.0.0.0/16"}], "egress": []}],
        "sessions": [{"id": "tms-1", "source": "eni-a", "target": "tmt-1", "filter": "tmf-1",
                      "number": 1, "vni": 123}],
    },
}


def _mirror(section: str, index: int, **fields: Any) -> dict[str, Any]:
    patched = deep_merge(MIRROR_OK, {})
    patched["mirror"][section][index].update(fields)
    return patched


REFUSED = [
    # Engine ranges: limits.pps is an int64 column, conntrack_max a share of the row space
    (_eni(limits={"pps": 10**19}), "eni-a", "limits.pps", "less than or equal to 1000000000"),
    (_eni(limits={"pps": 0}), "eni-a", "limits.pps", "greater than or equal to 1"),
    (_eni(limits={"conntrack_max": 0}), "eni-a", "limits.conntrack_max", "greater than or equal"),
    (_eni(limits={"conntrack_max": 10**12}), "eni-a", "limits.conntrack_max", "less than or"),
    # SG-R24 timeouts
    (_eni(conntrack={"tcp_established_timeout": 59}), "eni-a",
     "conntrack.tcp_established_timeout", "60..432000"),
    (_eni(conntrack={"udp_stream_timeout": 181}), "eni-a", "conntrack.udp_stream_timeout",
     "60..180"),
    (_eni(conntrack={"udp_timeout": 29}), "eni-a", "conntrack.udp_timeout", "30..60"),
    # MTU-R1 and RFC 8200
    (_eni(mtu=9002), "eni-a", "mtu", "less than or equal to 9001"),
    (_eni(mtu=67), "eni-a", "mtu", "greater than or equal to 68"),
    (_eni(ipv6=["2001:db8:1:1::10"], mtu=1279), "eni-a", "mtu", ">= 1280"),
    # ENI-R1 quota
    (_eni(ips=[f"10.0.1.{n}" for n in range(10, 61)]), "eni-a", "ips", "at most 50"),
    # Account and Region (file names of flow-log delivery are built from them)
    ({"account_id": "1" * 5000}, "config", "account_id", "exactly 12 digits"),
    ({"account_id": 12345}, "config", "account_id", "exactly 12 digits"),
    ({"account_id": "12345678901a"}, "config", "account_id", "exactly 12 digits"),
    ({"region": "../../etc"}, "config", "region", "Region name"),
    # SG-R10: a customer-managed prefix list holds 1..1000 entries
    ({"prefix_lists": [{"id": "pl-1", "max_entries": 1001}]}, "pl-1", "max_entries", "1000"),
    # NACL-R2 rule numbers, NACL-R5 ports and ICMP
    ({"nacls": [{"id": "acl-1", "vpc": "vpc-a", "ingress": [
        {"n": 0, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}]}]},
     "acl-1", "ingress[0].n", "1..32766"),
    ({"nacls": [{"id": "acl-1", "vpc": "vpc-a", "ingress": [
        {"n": 1, "action": "allow", "proto": "tcp", "ports": "0-65536", "cidr": "0.0.0.0/0"}]}]},
     "acl-1", "ingress[0].ports", "0..65535"),
    ({"security_groups": [{"id": "sg-a", "ingress": [
        {"proto": "icmp", "icmp_type": 256, "icmp_code": -1, "peer": "0.0.0.0/0"}]}]},
     "sg-a", "ingress[0].icmp_type", "-1 or 0..255"),
    ({"security_groups": [{"id": "sg-a", "ingress": [
        {"proto": "icmp", "icmp_type": -2, "icmp_code": -1, "peer": "0.0.0.0/0"}]}]},
     "sg-a", "ingress[0].icmp_type", "-1 or 0..255"),
    # Ids carry their kind
    ({"enis": [{"id": "sg-x", "subnet": "subnet-1", "ips": ["10.0.1.11"]}]}, "sg-x", "id",
     "starts with 'eni-'"),
    ({"vpcs": [{"id": "vpcb", "cidrs": ["10.9.0.0/16"]}]}, "vpcb", "id", "starts with 'vpc-'"),
    ({"flow_logs": [{"id": "fl-../x", "resource": "vpc-a"}]}, "fl-../x", "id", "letters"),
    ({"subnets": [{"id": "subnet-" + "x" * 200, "vpc": "vpc-a", "cidr": "10.0.9.0/24"}]},
     "subnet-" + "x" * 200, "id", "at most 128"),
    (_eni(instance_id="eni-a"), "eni-a", "instance_id", "starts with 'i-'"),
    ({"security_groups": [{"id": "sg-a", "ingress": [
        {"proto": "all", "peer": "0.0.0.0/0", "rule_id": "rule-1"}]}]},
     "sg-a", "ingress[0].rule_id", "starts with 'sgr-'"),
    # Host bits: AWS refuses them in VPC and subnet blocks (ADDR-R1, ADDR-R2, ADDR-R4)
    ({"vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.1/16"]}]}, "vpc-a", "cidrs[0]", "host bits"),
    ({"vpcs": [{"id": "vpc-a", "ipv6_cidrs": ["2001:db8:1:0:1::/56"]}]}, "vpc-a",
     "ipv6_cidrs[0]", "host bits"),
    ({"subnets": [{"id": "subnet-2", "cidr": "10.0.2.5/24"}]}, "subnet-2", "cidr", "host bits"),
    ({"subnets": [{"id": "subnet-1", "ipv6_cidr": "2001:db8:1:1::1/64"}]}, "subnet-1",
     "ipv6_cidr", "host bits"),
    # TM-R1..R5 mirroring
    (_mirror("sessions", 0, number=32767), "tms-1", "number", "less than or equal to 32766"),
    (_mirror("sessions", 0, vni=2**24), "tms-1", "vni", "less than or equal to 16777215"),
    (_mirror("sessions", 0, packet_length=8501), "tms-1", "packet_length", "8500"),
    (_mirror("sessions", 0, source="eni-m"), "tms-1", "target", "its own target"),
    (_mirror("sessions", 0, filter="tmf-9"), "tms-1", "filter", "unknown mirror filter"),
    (_mirror("targets", 0, eni="eni-zz"), "tmt-1", "eni", "unknown ENI"),
    (_mirror("targets", 0, id="target-1"), "target-1", "id", "starts with 'tmt-'"),
    (_mirror("filters", 0, ingress=[{"n": 10, "action": "accept", "src": "0.0.0.0/0",
                                     "dst": "::/0"}]), "tmf-1", "ingress[0].dst", "one IP family"),
    (_mirror("filters", 0, ingress=[{"n": 10, "action": "accept", "proto": 1, "src_ports": "1",
                                     "src": "0.0.0.0/0", "dst": "0.0.0.0/0"}]),
     "tmf-1", "ingress[0].src_ports", "TCP/UDP"),
    (_mirror("filters", 0, ingress=[{"n": n, "action": "accept", "src": "0.0.0.0/0",
                                     "dst": "0.0.0.0/0"} for n in range(1, 12)]),
     "tmf-1", "ingress", "at most 10 rules"),
]


@pytest.mark.parametrize(("patch", "object_id", "field", "phrase"), REFUSED)
def test_refused(
    refused: Any, patch: dict[str, Any], object_id: str, field: str, phrase: str
) -> None:
    refused(patch, object_id, field, phrase)


def test_three_sessions_per_source_and_unique_numbers() -> None:  # TM-R3
    data = deep_merge(base_config(), MIRROR_OK)
    session = data["mirror"]["sessions"][0]
    data["mirror"]["sessions"] = [dict(session, id=f"tms-{n}", number=n) for n in range(1, 5)]
    refuse(data, "tms-4", "source", "at most 3 sessions")
    data["mirror"]["sessions"] = [dict(session, id=f"tms-{n}") for n in range(1, 3)]
    refuse(data, "tms-2", "number", "already has number 1")


ACCEPTED = [
    _eni(limits={"pps": MAX_PPS, "conntrack_max": MAX_CONNTRACK_ROWS}),
    _eni(limits={"pps": 1, "conntrack_max": 1}),
    _eni(conntrack={"tcp_established_timeout": 432000, "udp_stream_timeout": 60,
                    "udp_timeout": 60}),
    _eni(ipv6=["2001:db8:1:1::10"], mtu=1280),
    _eni(mtu=68),
    {"account_id": 123456789012, "region": "eu-central-2"},
    {"prefix_lists": [{"id": "pl-1", "max_entries": 1000}]},
    {"hosts": [{"id": "h1"}, {"id": "rack-2.host_3"}]},
    MIRROR_OK,
]


@pytest.mark.parametrize("patch", ACCEPTED)
def test_accepted(accepted: Any, patch: dict[str, Any]) -> None:
    accepted(patch)


def test_host_bits_are_cleared_where_aws_clears_them() -> None:
    """SG peers (SG-R7), NACL entries (NACL-R12), routes (accepted and described aligned by
    EC2) and prefix-list and mirror-filter entries ([U]: cleared like the routes using them)."""
    data = deep_merge(base_config(), MIRROR_OK)
    data["security_groups"][0]["ingress"] = [{"proto": "all", "peer": "2001:db8::5/64"}]
    data["nacls"] = [{"id": "acl-1", "vpc": "vpc-a", "ingress": [
        {"n": 1, "action": "allow", "proto": "all", "cidr": "192.0.2.9/24"}]}]
    data["route_tables"] = [{"id": "rtb-1", "vpc": "vpc-a", "routes": [
        {"dst": "198.51.100.77/24", "target": "igw-1"}]}]
    data["prefix_lists"] = [{"id": "pl-1", "max_entries": 1, "entries": ["203.0.113.5/24"]}]
    data["mirror"]["filters"][0]["ingress"][0]["dst"] = "10.0.1.1/16"
    config = load_config(data)
    assert (config.security_groups[0].ingress or [])[0].peer == "2001:db8::/64"
    assert next(n for n in config.nacls if n.id == "acl-1").ingress[0].cidr == "192.0.2.0/24"
    table = next(t for t in config.route_tables if t.id == "rtb-1")
    assert table.routes[0].dst == "198.51.100.0/24"
    assert config.prefix_lists[0].entries == ["203.0.113.0/24"]
    assert config.mirror is not None
    assert config.mirror.filters[0].ingress[0].dst == "10.0.0.0/16"


def test_engine_row_space_is_the_one_the_model_allows() -> None:
    from smartnic.dataplane.conntrack.table import MAX_ROWS

    assert MAX_CONNTRACK_ROWS == MAX_ROWS


def test_largest_allowed_limits_fit_the_engine_tables() -> None:
    """A config at every engine maximum compiles into the numpy columns without overflow."""
    from smartnic.compiler.compile import compile_program
    from smartnic.compiler.tables.build import build_tables

    data = deep_merge(base_config(), _eni(limits={"pps": MAX_PPS,
                                                   "conntrack_max": MAX_CONNTRACK_ROWS}))
    tables = build_tables(compile_program(load_config(data)))
    assert int(tables.eni_pps.max()) == MAX_PPS
