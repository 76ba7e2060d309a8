"""EC2 API ENI actions: attributes (ENI-R6, SG-R11) and address assignment (ENI-R1, ENI-R2,
ADDR-R3)."""

from __future__ import annotations

import pytest
from api_support import api_config, api_refused, apply_and_load

from smartnic.model import ConfigError, apply_api, load_config


def test_modify_network_interface_attribute() -> None:
    config = apply_and_load(
        "ModifyNetworkInterfaceAttribute",
        {"NetworkInterfaceId": "eni-a", "SourceDestCheck": {"Value": False}},
    )
    assert not config.enis[0].src_dst_check
    config = apply_and_load(
        "ModifyNetworkInterfaceAttribute",
        {"NetworkInterfaceId": "eni-a", "Groups": ["sg-a", "sg-default-vpc-a"]},
    )
    assert config.enis[0].sgs == ["sg-a", "sg-default-vpc-a"]
    api_refused(
        "ModifyNetworkInterfaceAttribute",
        {"NetworkInterfaceId": "eni-a"},
        "SourceDestCheck or Groups",
    )
    with pytest.raises(ConfigError, match="unknown security group"):
        apply_and_load(
            "ModifyNetworkInterfaceAttribute", {"NetworkInterfaceId": "eni-a", "Groups": ["sg-zz"]}
        )


def test_assign_private_ip_addresses() -> None:
    config = apply_and_load(
        "AssignPrivateIpAddresses",
        {"NetworkInterfaceId": "eni-a", "SecondaryPrivateIpAddressCount": 2},
    )
    assert config.enis[0].ips == [
        "10.0.1.10",
        "10.0.1.4",
        "10.0.1.5",
    ]  # lowest free, ADDR-R3 skipped
    moved = {"NetworkInterfaceId": "eni-a", "PrivateIpAddresses": ["10.0.1.21"]}
    api_refused("AssignPrivateIpAddresses", moved, "AllowReassignment")
    config = apply_and_load("AssignPrivateIpAddresses", {**moved, "AllowReassignment": True})
    assert (config.enis[0].ips, config.enis[1].ips) == (["10.0.1.10", "10.0.1.21"], ["10.0.1.20"])
    api_refused(
        "AssignPrivateIpAddresses",
        {**moved, "PrivateIpAddresses": ["10.0.1.20"], "AllowReassignment": True},
        "primary address of eni-b",
    )
    api_refused(
        "AssignPrivateIpAddresses",
        {**moved, "PrivateIpAddresses": ["10.0.1.10"]},
        "already assigned",
    )


def test_unassign_private_ip_addresses() -> None:
    config = apply_and_load(
        "UnassignPrivateIpAddresses",
        {"NetworkInterfaceId": "eni-b", "PrivateIpAddresses": ["10.0.1.21"]},
    )
    assert config.enis[1].ips == ["10.0.1.20"]
    api_refused(
        "UnassignPrivateIpAddresses",
        {"NetworkInterfaceId": "eni-b", "PrivateIpAddresses": ["10.0.1.20"]},
        "primary",
    )
    api_refused(
        "UnassignPrivateIpAddresses",
        {"NetworkInterfaceId": "eni-b", "PrivateIpAddresses": ["10.0.1.99"]},
        "not assigned",
    )


def test_ipv6_addresses_are_assigned_and_unassigned() -> None:
    data = apply_api(
        api_config(), "AssignIpv6Addresses", {"NetworkInterfaceId": "eni-a", "Ipv6AddressCount": 1}
    )
    assert load_config(data).enis[0].ipv6 == ["2001:db8:1:1::4"]
    data = apply_api(
        data,
        "UnassignIpv6Addresses",
        {"NetworkInterfaceId": "eni-a", "Ipv6Addresses": ["2001:db8:1:1::4"]},
    )
    assert load_config(data).enis[0].ipv6 == []
