"""EC2 API route actions (RT-R2 local routes, RouteAlreadyExists, InvalidRoute.NotFound) and
association replacements (NACL-R1, RT-R1)."""

from __future__ import annotations

import copy

import pytest
from api_support import api_config, api_refused, apply_and_load, table_routes

from smartnic.model import ConfigError, apply_api, load_config


def test_unknown_op_is_refused_by_name() -> None:
    error = api_refused("DeleteVpc", {}, "DeleteVpc")
    assert (error.object_id, error.field) == ("DeleteVpc", "op")


def test_input_dict_is_not_mutated() -> None:
    data = api_config()
    before = copy.deepcopy(data)
    apply_api(
        data,
        "CreateRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "pcx-1"},
    )
    assert data == before


def test_delete_route_refuses_the_local_route() -> None:
    error = api_refused(
        "DeleteRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.0.0.0/16"},
        "local route cannot be deleted",
    )
    assert (error.object_id, error.field) == ("rtb-1", "DestinationCidrBlock")
    api_refused(
        "DeleteRoute",
        {"RouteTableId": "rtb-1", "DestinationIpv6CidrBlock": "2001:db8:1::/56"},
        "local route",
    )


def test_delete_route_removes_a_static_route_and_refuses_a_missing_one() -> None:
    config = apply_and_load(
        "DeleteRoute", {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0.0.0.0/0"}
    )
    assert table_routes(config, "rtb-1") == []
    api_refused(
        "DeleteRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.9.0.0/16"},
        "InvalidRoute.NotFound",
    )
    api_refused(
        "DeleteRoute",
        {"RouteTableId": "rtb-zz", "DestinationCidrBlock": "0.0.0.0/0"},
        "unknown id rtb-zz",
    )


def test_create_route_on_an_implied_main_table_and_instance_targets() -> None:
    params = {
        "RouteTableId": "rtb-main-vpc-a",
        "DestinationCidrBlock": "10.9.9.9/16",
        "InstanceId": "i-b",
    }
    assert table_routes(apply_and_load("CreateRoute", params), "rtb-main-vpc-a") == [
        ("10.9.0.0/16", "eni-b")
    ]


def test_create_route_refuses_existing_destinations() -> None:
    api_refused(
        "CreateRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
        "RouteAlreadyExists",
    )
    api_refused(
        "CreateRoute",
        {
            "RouteTableId": "rtb-1",
            "DestinationCidrBlock": "10.0.0.0/16",
            "NetworkInterfaceId": "eni-a",
        },
        "RouteAlreadyExists",
    )
    api_refused(
        "CreateRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.9.0.0/16"},
        "needs a target",
    )


def test_created_routes_are_validated_by_loadapi_config() -> None:
    params = {
        "RouteTableId": "rtb-1",
        "DestinationCidrBlock": "169.254.169.0/24",
        "GatewayId": "igw-1",
    }
    with pytest.raises(ConfigError, match="reserved link-local range"):
        apply_and_load("CreateRoute", params)


def test_replace_route_replaces_targets_and_the_local_target_and_restores_it() -> None:
    config = apply_and_load(
        "ReplaceRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
    )
    assert table_routes(config, "rtb-1") == [("0.0.0.0/0", "nat-1")]
    local = {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.0.0.0/16"}
    replaced = apply_api(api_config(), "ReplaceRoute", {**local, "NetworkInterfaceId": "eni-b"})
    assert table_routes(load_config(replaced), "rtb-1") == [
        ("0.0.0.0/0", "igw-1"),
        ("10.0.0.0/16", "eni-b"),
    ]
    restored = apply_api(replaced, "ReplaceRoute", {**local, "LocalTarget": True})
    assert table_routes(load_config(restored), "rtb-1") == [("0.0.0.0/0", "igw-1")]
    api_refused(
        "ReplaceRoute",
        {"RouteTableId": "rtb-1", "DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "igw-1"},
        "InvalidRoute.NotFound",
    )


def test_association_replacements() -> None:
    config = apply_and_load(
        "ReplaceNetworkAclAssociation",
        {"AssociationId": "aclassoc-subnet-1", "NetworkAclId": "acl-1"},
    )
    assert next(s for s in config.subnets if s.id == "subnet-1").nacl == "acl-1"
    config = apply_and_load(
        "ReplaceRouteTableAssociation", {"AssociationId": "subnet-2", "RouteTableId": "rtb-1"}
    )
    assert next(s for s in config.subnets if s.id == "subnet-2").route_table == "rtb-1"
    config = apply_and_load(
        "ReplaceRouteTableAssociation",
        {"AssociationId": "rtbassoc-main-vpc-a", "RouteTableId": "rtb-1"},
    )
    assert config.vpcs[0].main_route_table == "rtb-1"
    assert {s.route_table for s in config.subnets} == {"rtb-1"}
    assert not next(t for t in config.route_tables if t.id == "rtb-main-vpc-a").main
    api_refused(
        "ReplaceNetworkAclAssociation",
        {"AssociationId": "aclassoc-x", "NetworkAclId": "acl-1"},
        "unknown association",
    )
