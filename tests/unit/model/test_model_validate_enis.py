"""Validation of ENIs (ENI-R1, ADDR-R3/R4, SG-R11, SG-R24, ENI-R4), flow logs (FL-R1/R5),
hosts, unique ids, and the conversion of pydantic errors into ConfigError."""

from __future__ import annotations

from typing import Any

import pytest
from model_support import base_config, refuse

from smartnic.model import ConfigError, load_config


def _eni(**fields: Any) -> dict[str, Any]:
    return {"enis": [{"id": "eni-a", **fields}]}


def _eni_b(**fields: Any) -> dict[str, Any]:
    return {"enis": [{"id": "eni-b", "subnet": "subnet-1", "ips": ["10.0.1.20"], **fields}]}


def _sgs(count: int) -> dict[str, Any]:
    groups = [{"id": f"sg-{n}", "vpc": "vpc-a"} for n in range(count)]
    return {"security_groups": groups, **_eni(sgs=[g["id"] for g in groups])}


def _flow_log(**fields: Any) -> dict[str, Any]:
    return {"flow_logs": [{"id": "fl-1", "resource": "vpc-a", **fields}]}


REFUSED = [
    (_eni(subnet="subnet-zz"), "eni-a", "subnet", "unknown subnet"),
    (_eni(ips=["10.0.2.10"]), "eni-a", "ips[0]", "not inside subnet-1"),
    (_eni(ips=["10.0.1.10", "2001:db8:1:1::9"]), "eni-a", "ips[1]", "is not IPv4"),
    (_eni(ips=["10.0.1.x"]), "eni-a", "ips[0]", "not a valid IP address"),
    # ADDR-R3: network, router, DNS, future, broadcast
    *[
        (_eni(ips=[f"10.0.1.{n}"]), "eni-a", "ips[0]", "reserved address")
        for n in (0, 1, 2, 3, 255)
    ],
    # ADDR-R4: the first four and the last IPv6 address
    *[
        (_eni(ipv6=[f"2001:db8:1:1::{n}"]), "eni-a", "ipv6[0]", "reserved IPv6 address")
        for n in ("", "1", "2", "3")
    ],
    (
        _eni(ipv6=["2001:db8:1:1:ffff:ffff:ffff:ffff"]),
        "eni-a",
        "ipv6[0]",
        "reserved IPv6 address",
    ),
    (_eni(ipv6=["2001:db8:1:2::9"]), "eni-a", "ipv6[0]", "not inside subnet-1"),
    (
        _eni_b(subnet="subnet-2", ips=["10.0.2.9"], ipv6=["2001:db8:1:1::9"]),
        "eni-b",
        "ipv6",
        "no IPv6 CIDR",
    ),
    (_eni_b(ips=["10.0.1.10"]), "eni-b", "ips[0]", "also used by eni-a"),
    (_eni(ips=["10.0.1.10", "10.0.1.10"]), "eni-a", "ips[1]", "also used by eni-a"),
    (_eni(public_ip="10.9.9.9"), "eni-a", "public_ip", "not a public IPv4"),
    (_eni(public_ip="2001:db8::1"), "eni-a", "public_ip", "not a public IPv4"),
    (
        {
            "enis": [
                {"id": "eni-a", "public_ip": "54.0.0.1"},
                {**_eni_b()["enis"][0], "public_ip": "54.0.0.1"},
            ]
        },
        "eni-b",
        "public_ip",
        "also used by eni-a",
    ),
    # SG-R11 and §1.5
    (_eni(sgs=["sg-zz"]), "eni-a", "sgs[0]", "unknown security group"),
    (_eni(sgs=["sg-a", "sg-a"]), "eni-a", "sgs[1]", "listed twice"),
    (_sgs(6), "eni-a", "sgs", "at most 5 security groups"),
    (
        {
            "vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
            "security_groups": [{"id": "sg-b", "vpc": "vpc-b"}],
            **_eni(sgs=["sg-b"]),
        },
        "eni-a",
        "sgs[0]",
        "belongs to vpc-b",
    ),  # fmt: skip
    # SG-R24
    (
        _eni(conntrack={"tcp_established_timeout": 59}),
        "eni-a",
        "conntrack.tcp_established_timeout",
        "60..432000",
    ),
    (
        _eni(conntrack={"udp_stream_timeout": 181}),
        "eni-a",
        "conntrack.udp_stream_timeout",
        "60..180",
    ),
    (_eni(conntrack={"udp_timeout": 29}), "eni-a", "conntrack.udp_timeout", "30..60"),
    # ENI-R4 and structure
    (_eni(mac="01:00:5e:00:00:01"), "eni-a", "mac", "multicast"),
    (_eni(mac="not-a-mac"), "eni-a", "mac", "not a MAC address"),
    (
        {
            "enis": [
                {"id": "eni-a", "mac": "02:00:00:00:00:01"},
                {**_eni_b()["enis"][0], "mac": "02:00:00:00:00:01"},
            ]
        },
        "eni-b",
        "mac",
        "also used by eni-a",
    ),  # fmt: skip
    (_eni(mtu=9002), "eni-a", "mtu", "less than or equal to 9001"),
    (_eni(ips=[]), "eni-a", "ips", "at least 1 item"),
    (_eni(colour="blue"), "eni-a", "colour", "Extra inputs are not permitted"),
    (_eni(limits={"pps": 0}), "eni-a", "limits.pps", "greater than or equal to 1"),
    # FL-R1, FL-R5
    (_flow_log(resource="igw-1"), "fl-1", "resource", "unknown VPC, subnet or ENI"),
    (_flow_log(format=[]), "fl-1", "format", "at least one field"),
    (_flow_log(format=["version", "srcadr"]), "fl-1", "format[1]", "unknown field 'srcadr'"),
    (_flow_log(format=["version", "version"]), "fl-1", "format[1]", "listed twice"),
    (_flow_log(interval=300), "fl-1", "interval", "Input should be 60 or 600"),
    # hosts
    ({"hosts": [{"id": "h-1", "enis": ["eni-zz"]}]}, "h-1", "enis[0]", "unknown ENI"),
    (
        {"hosts": [{"id": "h-1", "enis": ["eni-a"]}, {"id": "h-2", "enis": ["eni-a"]}]},
        "h-2",
        "enis[0]",
        "also on h-1",
    ),
    (
        {"hosts": [{"id": "h-1", "underlay_ip": "192.0.2.300"}]},
        "h-1",
        "underlay_ip",
        "not a valid IP",
    ),
    (
        {"hosts": [{"id": "h-1", "underlay_ip": "198.18.0.2"}, {"id": "h-2"}]},
        "h-2",
        "underlay_ip",
        "also used by h-1",
    ),
]


@pytest.mark.parametrize(("patch", "object_id", "field", "phrase"), REFUSED)
def test_refused(
    refused: Any, patch: dict[str, Any], object_id: str, field: str, phrase: str
) -> None:
    refused(patch, object_id, field, phrase)


ACCEPTED = [
    _eni(
        ips=["10.0.1.4", "10.0.1.254"], ipv6=["2001:db8:1:1::4", "2001:db8:1:1:ffff:ffff:ffff:fffe"]
    ),
    _eni(public_ip="54.0.0.1", mac="0E:00:00:00:00:01"),
    _eni(public_ip="203.0.113.7"),  # documentation ranges stand in for public addresses
    _eni(conntrack={"tcp_established_timeout": 60, "udp_stream_timeout": 180, "udp_timeout": 30}),
    _eni(
        conntrack={"tcp_established_timeout": 432000, "udp_stream_timeout": 60, "udp_timeout": 60}
    ),
    _eni(sgs=[]),
    _sgs(5),
    {
        "vpcs": [{"id": "vpc-b", "cidrs": ["10.0.0.0/16"]}],
        "subnets": [{"id": "subnet-b", "vpc": "vpc-b", "cidr": "10.0.1.0/24"}],
        **_eni_b(subnet="subnet-b", ips=["10.0.1.10"]),
    },  # fmt: skip
    _flow_log(resource="subnet-1", traffic="REJECT", interval=60),
    _flow_log(
        resource="eni-a",
        format=[
            "version",
            "vpc-id",
            "az-id",
            "traffic-path",
            "ecs-task-id",
            "reject-reason",
            "encryption-status",
        ],
    ),  # fmt: skip
    {"hosts": [{"id": "h-1", "underlay_ip": "2001:db8:ff::1"}]},
]


@pytest.mark.parametrize("patch", ACCEPTED)
def test_accepted(accepted: Any, patch: dict[str, Any]) -> None:
    accepted(patch)


def test_duplicate_ids_within_a_collection_are_refused() -> None:
    data = base_config()
    data["enis"].append({"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.20"]})
    refuse(data, "eni-a", "id", "duplicate id in enis")


def test_an_id_needs_the_prefix_of_its_kind() -> None:
    data = base_config()
    data["nacls"] = [{"id": "sg-a", "vpc": "vpc-a"}]
    refuse(data, "sg-a", "id", "starts with 'acl-'")


def test_pydantic_errors_name_the_item_position_when_the_id_is_missing() -> None:
    data = base_config()
    data["enis"].append({"subnet": "subnet-1", "ips": ["10.0.1.20"]})
    refuse(data, "enis[1]", "id", "Field required")


def test_pydantic_errors_drop_union_member_tags_from_the_field() -> None:
    data = base_config()
    data["security_groups"][0]["ingress"] = [{"proto": ["tcp"], "peer": "0.0.0.0/0"}]
    refuse(data, "sg-a", "ingress[0].proto", "valid")


def test_top_level_errors_name_the_config() -> None:
    refuse({"vpcs": "vpc-a"}, "config", "vpcs", "valid list")
    refuse({"colour": 1}, "config", "colour", "Extra inputs")
    with pytest.raises(ConfigError) as caught:
        load_config(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert caught.value.object_id == "config"
