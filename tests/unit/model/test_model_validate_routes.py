"""Validation of route tables: ADDR-R5, RT-R2, RT-R3, RT-R6 blackholes, RT-R7, RT-R11 quotas."""

from __future__ import annotations

from typing import Any

import pytest


def _routes(*routes: dict[str, Any], **table: Any) -> dict[str, Any]:
    return {"route_tables": [{"id": "rtb-1", "vpc": "vpc-a", "routes": list(routes), **table}]}


def _route(dst: str, target: str = "igw-1", **fields: Any) -> dict[str, Any]:
    return {"dst": dst, "target": target, **fields}


def _many(count: int) -> list[dict[str, Any]]:
    return [_route(f"172.16.{n}.0/24") for n in range(count)]


IGW = {"igws": [{"id": "igw-1", "vpc": "vpc-a"}]}
VGW = {"vgws": [{"id": "vgw-1", "vpc": "vpc-a"}]}
PL = {"prefix_lists": [{"id": "pl-1", "max_entries": 10, "entries": ["192.0.2.0/24"]}]}


def _gateway_table(*routes: dict[str, Any], **table: Any) -> dict[str, Any]:
    return {**IGW, **_routes(*routes, edge_associations=["igw-1"], **table)}


REFUSED = [
    ({"route_tables": [{"id": "rtb-1", "vpc": "vpc-zz"}]}, "rtb-1", "vpc", "unknown VPC"),
    (_routes(_route("pl-zz")), "rtb-1", "routes[0].dst", "unknown prefix list"),
    (_routes(_route("0.0.0.0/33")), "rtb-1", "routes[0].dst", "not a valid CIDR"),
    (
        _routes(_route("0.0.0.0/0"), _route("0.0.0.0/0", "nat-1")),
        "rtb-1",
        "routes[1].dst",
        "duplicate route to 0.0.0.0/0",
    ),
    (_routes(_route("0.0.0.0/0", propagated=True)), "rtb-1", "routes[0].target", "vgw-"),
    # ADDR-R5
    (_routes(_route("169.254.169.0/24")), "rtb-1", "routes[0].dst", "reserved link-local range"),
    (_routes(_route("169.254.168.0/22")), "rtb-1", "routes[0].dst", "reserved link-local range"),
    (_routes(_route("fd00:ec2::/48")), "rtb-1", "routes[0].dst", "reserved link-local range"),
    # RT-R3: more specific than local
    (
        _routes(_route("10.0.5.0/24", "eni-a")),
        "rtb-1",
        "routes[0].dst",
        "more specific than the local",
    ),
    (
        _routes(_route("10.0.2.0/24", "igw-1")),
        "rtb-1",
        "routes[0].dst",
        "more specific than the local",
    ),
    (
        _routes(_route("10.0.2.0/25", "eni-a")),
        "rtb-1",
        "routes[0].dst",
        "more specific than the local",
    ),
    (
        _routes(_route("2001:db8:1:5::/64", "eni-a")),
        "rtb-1",
        "routes[0].dst",
        "more specific than the local",
    ),
    # RT-R2: local routes
    (_routes(_route("10.0.0.0/16", "igw-1")), "rtb-1", "routes[0].target", "only its target"),
    (_routes(_route("10.9.0.0/16", "local")), "rtb-1", "routes[0].target", "target local"),
    ({**PL, **_routes(_route("pl-1", "local"))}, "rtb-1", "routes[0].target", "target local"),
    # RT-R11 quotas
    (_routes(*_many(51)), "rtb-1", "routes", "more than 50 static IPv4 routes"),
    ({**PL, **_routes(_route("pl-1"), *_many(41))}, "rtb-1", "routes", "more than 50 static IPv4"),
    (
        {**VGW, **_routes(
            *[_route(f"172.16.{n}.0/24", "vgw-1", propagated=True) for n in range(101)])},
        "rtb-1",
        "routes",
        "more than 100 propagated routes",
    ),
    # RT-R4: propagated routes come only from a VPN gateway attached to the table's VPC
    (_routes(_route("172.31.0.0/16", "vgw-1", propagated=True)), "rtb-1", "routes[0].target",
     "attached to vpc-a"),
    (
        {"vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
         "vgws": [{"id": "vgw-1", "vpc": "vpc-b"}],
         **_routes(_route("172.31.0.0/16", "vgw-1", propagated=True))},
        "rtb-1",
        "routes[0].target",
        "attached to vpc-a",
    ),
    # RT-R5: target kinds, and targets bound to another VPC
    (_routes(_route("0.0.0.0/0", "sg-a")), "rtb-1", "routes[0].target", "not a route target"),
    (_routes(_route("0.0.0.0/0", "fl-1")), "rtb-1", "routes[0].target", "not a route target"),
    (_routes(_route("0.0.0.0/0", "eigw-1")), "rtb-1", "routes[0].target", "IPv6 only"),
    (
        {"vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
         "subnets": [{"id": "subnet-b", "vpc": "vpc-b", "cidr": "10.1.1.0/24"}],
         "enis": [{"id": "eni-b", "subnet": "subnet-b", "ips": ["10.1.1.10"]}],
         **_routes(_route("0.0.0.0/0", "eni-b"))},
        "rtb-1",
        "routes[0].target",
        "eni-b belongs to vpc-b",
    ),
    (
        {"vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]},
                  {"id": "vpc-c", "cidrs": ["10.2.0.0/16"]}],
         "peerings": [{"id": "pcx-bc", "a": "vpc-b", "b": "vpc-c"}],
         **_routes(_route("10.1.0.0/16", "pcx-bc"))},
        "rtb-1",
        "routes[0].target",
        "belongs to vpc-b and vpc-c",
    ),
    # RT-R7: gateway route tables
    (_routes(edge_associations=["igw-zz"]), "rtb-1", "edge_associations[0]", "unknown internet"),
    (
        {
            "vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
            "igws": [{"id": "igw-1", "vpc": "vpc-b"}],
            **_routes(edge_associations=["igw-1"]),
        },
        "rtb-1",
        "edge_associations[0]",
        "attached to vpc-b",
    ),  # fmt: skip
    (_gateway_table(_route("0.0.0.0/0", "eni-a")), "rtb-1", "routes[0].dst", "gateway route table"),
    (
        _gateway_table(_route("10.0.2.0/24", "nat-1")),
        "rtb-1",
        "routes[0].target",
        "gateway route table",
    ),
    (_gateway_table(main=True), "rtb-1", "main", "cannot be main"),
    (
        {
            **_gateway_table(),
            "route_tables": [
                {"id": "rtb-1", "vpc": "vpc-a", "edge_associations": ["igw-1"]},
                {"id": "rtb-2", "vpc": "vpc-a", "edge_associations": ["igw-1"]},
            ],
        },
        "rtb-2",
        "edge_associations[0]",
        "already uses rtb-1",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("patch", "object_id", "field", "phrase"), REFUSED)
def test_refused(
    refused: Any, patch: dict[str, Any], object_id: str, field: str, phrase: str
) -> None:
    refused(patch, object_id, field, phrase)


ACCEPTED = [
    _routes(_route("0.0.0.0/0"), _route("::/0", "eigw-1"), _route("10.0.0.0/8", "pcx-1")),
    _routes(_route("169.254.0.0/16", "eni-a")),  # ADDR-R5: covering routes are allowed
    _routes(_route("10.5.1.0/24", "eni-deleted")),  # RT-R6: a missing target is a blackhole
    _routes(_route("10.0.2.0/24", "eni-a"), _route("10.0.1.0/24", "nat-1")),  # RT-R3 middlebox
    _routes(_route("2001:db8:1:1::/64", "vpce-1")),
    _routes(_route("10.0.0.0/16", "eni-a")),  # RT-R2: replacing the local target
    _routes(_route("10.0.0.0/16", "local")),
    {**VGW, **_routes(
        _route("172.31.0.0/24", "vgw-1", propagated=True), _route("172.31.0.0/24", "eni-a"))},
    {**PL, **_routes(_route("pl-1", "vpce-s3"), *_many(40))},
    _routes(*_many(50)),
    _gateway_table(_route("10.0.0.0/16", "eni-a"), _route("10.0.2.0/24", "vpce-1")),
    # RT-R6: a gateway attached to another VPC leaves a blackhole route, as AWS describes it
    {"vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}], "igws": [{"id": "igw-9", "vpc": "vpc-b"}],
     **_routes(_route("0.0.0.0/0", "igw-9"))},
    _routes(_route("0.0.0.0/0", "nat-1"), _route("192.0.2.0/24", "tgw-1"),
            _route("198.51.100.0/24", "i-0123"), _route("203.0.113.0/24", "cagw-1")),
]


@pytest.mark.parametrize("patch", ACCEPTED)
def test_accepted(accepted: Any, patch: dict[str, Any]) -> None:
    accepted(patch)
