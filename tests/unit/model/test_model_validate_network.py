"""Validation of VPCs, subnets, peerings, gateways and prefix lists (ADDR-R1/R2/R4, RT-R10)."""

from __future__ import annotations

from typing import Any

import pytest

VPC_B = {"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}


def _vpc_a(**fields: Any) -> dict[str, Any]:
    return {"vpcs": [{"id": "vpc-a", **fields}]}


def _new_vpc(*cidrs: str, **fields: Any) -> dict[str, Any]:
    return {"vpcs": [{"id": "vpc-x", "cidrs": list(cidrs), **fields}]}


def _subnet(**fields: Any) -> dict[str, Any]:
    return {"subnets": [{"id": "subnet-x", "vpc": "vpc-a", "cidr": "10.0.9.0/24", **fields}]}


def _peering(a: str = "vpc-a", b: str = "vpc-b", **fields: Any) -> dict[str, Any]:
    return {"vpcs": [VPC_B], "peerings": [{"id": "pcx-1", "a": a, "b": b, **fields}]}


REFUSED = [
    # ADDR-R1: VPC IPv4 blocks
    (_vpc_a(cidrs=["10.0.0.0/15"]), "vpc-a", "cidrs[0]", "VPC prefix must be /16../28"),
    (_new_vpc("10.9.0.0/29"), "vpc-x", "cidrs[0]", "VPC prefix must be /16../28"),
    (_new_vpc("169.254.0.0/16"), "vpc-x", "cidrs[0]", "link-local range not allowed"),
    (_new_vpc("2001:db8::/56"), "vpc-x", "cidrs[0]", "not an IPv4 CIDR"),
    (_new_vpc("10.9.0.0"), "vpc-x", "cidrs[0]", "is not a CIDR"),
    (_new_vpc("10.9.0.300/16"), "vpc-x", "cidrs[0]", "not a valid CIDR"),
    (_vpc_a(cidrs=["10.0.0.0/16", "10.0.128.0/17"]), "vpc-a", "cidrs[1]", "overlaps 10.0.0.0/16"),
    (
        _vpc_a(cidrs=[f"10.{n}.0.0/16" for n in range(6)]),
        "vpc-a",
        "cidrs",
        "at most 5 IPv4 CIDR blocks",
    ),
    (_vpc_a(cidrs=["10.0.0.0/16", "172.16.0.0/16"]), "vpc-a", "cidrs[1]", "RFC 1918"),
    (_vpc_a(cidrs=["10.0.0.0/16", "192.168.0.0/16"]), "vpc-a", "cidrs[1]", "RFC 1918"),
    (_new_vpc("54.0.0.0/16", "10.9.0.0/16"), "vpc-x", "cidrs[1]", "RFC 1918"),
    (_new_vpc("10.9.0.0/16", "198.19.0.0/16"), "vpc-x", "cidrs[1]", "198.19.0.0/16"),
    (_new_vpc("172.16.0.0/16", "172.31.0.0/16"), "vpc-x", "cidrs[1]", "172.31.0.0/16"),
    # ADDR-R4: VPC IPv6 blocks
    (_vpc_a(ipv6_cidrs=["2001:db8:1::/64"]), "vpc-a", "ipv6_cidrs[0]", "IPv6 VPC prefix"),
    (_vpc_a(ipv6_cidrs=["10.9.0.0/16"]), "vpc-a", "ipv6_cidrs[0]", "not an IPv6 CIDR"),
    (
        _vpc_a(ipv6_cidrs=["2001:db8:1::/56", "2001:db8:1::/48"]),
        "vpc-a",
        "ipv6_cidrs[1]",
        "overlaps",
    ),
    # VNI and default objects
    (
        {"vpcs": [{"id": "vpc-a", "vni": 7}, {**VPC_B, "vni": 7}]},
        "vpc-b",
        "vni",
        "also used by vpc-a",
    ),
    (_new_vpc("10.9.0.0/16", default_sg="sg-a"), "vpc-x", "default_sg", "belongs to vpc-a"),
    (
        {
            "route_tables": [
                {"id": "rtb-1", "vpc": "vpc-a", "main": True},
                {"id": "rtb-2", "vpc": "vpc-a", "main": True},
            ]
        },
        "rtb-2",
        "main",
        "already has main route table rtb-1",
    ),  # fmt: skip
    (
        {
            "security_groups": [
                {"id": "sg-a", "default": True},
                {"id": "sg-b", "vpc": "vpc-a", "default": True},
            ]
        },
        "sg-b",
        "default",
        "already has default SG sg-a",
    ),  # fmt: skip
    # ADDR-R2: subnets
    (_subnet(cidr="10.0.9.0/29"), "subnet-x", "cidr", "subnet prefix must be /16../28"),
    (_subnet(cidr="10.1.9.0/24"), "subnet-x", "cidr", "not inside a CIDR of vpc-a"),
    (_subnet(cidr="10.0.1.128/25"), "subnet-x", "cidr", "overlaps subnet-1"),
    (_subnet(cidr="2001:db8:1:9::/64"), "subnet-x", "cidr", "not an IPv4 CIDR"),
    (_subnet(vpc="vpc-zz"), "subnet-x", "vpc", "unknown VPC vpc-zz"),
    (_subnet(ipv6_cidr="2001:db8:1:10::/60"), "subnet-x", "ipv6_cidr", "IPv6 subnet must be /64"),
    (_subnet(ipv6_cidr="2001:db8:2::/64"), "subnet-x", "ipv6_cidr", "not inside an IPv6 CIDR"),
    (_subnet(ipv6_cidr="2001:db8:1:1::/64"), "subnet-x", "ipv6_cidr", "overlaps subnet-1"),
    (_subnet(nacl="acl-zz"), "subnet-x", "nacl", "unknown NACL acl-zz"),
    (_subnet(route_table="rtb-zz"), "subnet-x", "route_table", "unknown route table rtb-zz"),
    (
        {
            "vpcs": [VPC_B],
            "nacls": [{"id": "acl-b", "vpc": "vpc-b"}],
            "subnets": [{"id": "subnet-1", "nacl": "acl-b"}],
        },
        "subnet-1",
        "nacl",
        "belongs to vpc-b",
    ),  # fmt: skip
    # RT-R10: peerings
    (_peering(b="vpc-zz"), "pcx-1", "b", "unknown VPC vpc-zz"),
    (_peering(b="vpc-a"), "pcx-1", "b", "two different VPCs"),
    (_peering(state="sleeping"), "pcx-1", "state", "unknown peering state"),
    (
        {
            "vpcs": [{**VPC_B, "cidrs": ["10.0.128.0/17"]}],
            "peerings": [{"id": "pcx-1", "a": "vpc-a", "b": "vpc-b"}],
        },
        "pcx-1",
        "b",
        "overlaps",
    ),
    (
        {
            "vpcs": [VPC_B],
            "peerings": [
                {"id": "pcx-1", "a": "vpc-a", "b": "vpc-b"},
                {"id": "pcx-2", "a": "vpc-b", "b": "vpc-a"},
            ],
        },
        "pcx-2",
        "b",
        "already peered by pcx-1",
    ),  # fmt: skip
    # gateways
    ({"igws": [{"id": "igw-1", "vpc": "vpc-zz"}]}, "igw-1", "vpc", "unknown VPC"),
    (
        {"igws": [{"id": "igw-1", "vpc": "vpc-a"}, {"id": "igw-2", "vpc": "vpc-a"}]},
        "igw-2",
        "vpc",
        "already has internet gateway igw-1",
    ),
    (
        {"vgws": [{"id": "vgw-1", "vpc": "vpc-a"}, {"id": "vgw-2", "vpc": "vpc-a"}]},
        "vgw-2",
        "vpc",
        "already has VPN gateway vgw-1",
    ),
    # prefix lists
    (
        {
            "prefix_lists": [
                {"id": "pl-1", "max_entries": 1, "entries": ["10.9.0.0/16", "10.8.0.0/16"]}
            ]
        },
        "pl-1",
        "entries",
        "exceed max_entries 1",
    ),
    (
        {"prefix_lists": [{"id": "pl-1", "max_entries": 5, "entries": ["10.9.0.0/16", "::/0"]}]},
        "pl-1",
        "entries[1]",
        "one family",
    ),
    (
        {
            "prefix_lists": [
                {"id": "pl-1", "max_entries": 5, "entries": ["10.9.0.0/16", "10.9.0.1/16"]}
            ]
        },
        "pl-1",
        "entries[1]",
        "duplicate entry",
    ),
    (
        {
            "prefix_lists": [
                {
                    "id": "pl-1",
                    "max_entries": 5,
                    "address_family": "IPv6",
                    "entries": ["10.9.0.0/16"],
                }
            ]
        },
        "pl-1",
        "entries[0]",
        "one family",
    ),
]


@pytest.mark.parametrize(("patch", "object_id", "field", "phrase"), REFUSED)
def test_refused(
    refused: Any, patch: dict[str, Any], object_id: str, field: str, phrase: str
) -> None:
    refused(patch, object_id, field, phrase)


ACCEPTED = [
    _vpc_a(cidrs=["10.0.0.0/16", "10.1.0.0/16", "100.64.0.0/16", "54.1.0.0/16"]),
    _new_vpc("172.31.0.0/16", "172.16.0.0/16"),
    _new_vpc("192.168.0.0/28"),
    _new_vpc("54.0.0.0/16", "100.64.0.0/16"),
    _vpc_a(ipv6_cidrs=["2001:db8:1::/56", "2001:db8:2::/48"]),
    _subnet(cidr="10.0.128.0/17"),
    _subnet(cidr="10.0.9.0/28", ipv6_cidr="2001:db8:1:9::/64"),
    _peering(),
    _peering(state="pending-acceptance"),
    {"igws": [{"id": "igw-1", "vpc": "vpc-a"}], "vgws": [{"id": "vgw-1", "vpc": "vpc-a"}]},
    {"prefix_lists": [{"id": "pl-1", "max_entries": 2, "entries": ["::/0", "2001:db8::/32"]}]},
    {"prefix_lists": [{"id": "pl-1", "max_entries": 2}]},
]


@pytest.mark.parametrize("patch", ACCEPTED)
def test_accepted(accepted: Any, patch: dict[str, Any]) -> None:
    accepted(patch)
