"""EC2 API SG rule actions (IpPermissions, SG-R13 implied egress) and NACL entry actions
(NACL-R2, NACL-R4, NACL-R12)."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import api_config, api_refused, apply_and_load, security_group

from smartnic.model import ConfigError, apply_api, load_config

PERMISSION = {
    "IpProtocol": "tcp",
    "FromPort": 443,
    "ToPort": 443,
    "IpRanges": [{"CidrIp": "10.9.0.0/16", "Description": "corp"}],
    "Ipv6Ranges": [{"CidrIpv6": "2001:db8:9::/48"}],
    "UserIdGroupPairs": [{"GroupId": "sg-a", "UserId": "123456789010"}],
}


def test_authorize_ingress_adds_one_rule_per_peer_and_refuses_duplicates() -> None:
    data = apply_api(
        api_config(),
        "AuthorizeSecurityGroupIngress",
        {"GroupId": "sg-a", "IpPermissions": [PERMISSION]},
    )
    rules = security_group(load_config(data), "sg-a").ingress
    assert [(r.proto, r.ports, r.peer, r.description) for r in rules] == [
        ("tcp", "443", "10.9.0.0/16", "corp"),
        ("tcp", "443", "2001:db8:9::/48", None),
        ("tcp", "443", "sg-a", None),
    ]
    with pytest.raises(ConfigError, match="InvalidPermission.Duplicate"):
        apply_api(
            data,
            "AuthorizeSecurityGroupIngress",
            {"GroupId": "sg-a", "IpPermissions": [PERMISSION]},
        )


def test_authorize_egress_keeps_the_implied_default_egress_rule() -> None:
    params = {
        "GroupId": "sg-a",
        "IpProtocol": "udp",
        "FromPort": 53,
        "ToPort": 53,
        "CidrIp": "10.0.0.2/32",
    }
    rules = security_group(apply_and_load("AuthorizeSecurityGroupEgress", params), "sg-a").egress
    assert [(r.proto, r.peer) for r in rules] == [("all", "0.0.0.0/0"), ("udp", "10.0.0.2/32")]


def test_revoke_by_permission_and_by_rule_id() -> None:
    everything = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert (
        security_group(
            apply_and_load(
                "RevokeSecurityGroupEgress", {"GroupId": "sg-a", "IpPermissions": [everything]}
            ),
            "sg-a",
        ).egress
        == []
    )
    assert (
        security_group(
            apply_and_load(
                "RevokeSecurityGroupEgress",
                {"GroupId": "sg-a", "SecurityGroupRuleIds": ["sgr-a-out-0"]},
            ),
            "sg-a",
        ).egress
        == []
    )
    api_refused(
        "RevokeSecurityGroupIngress",
        {"GroupId": "sg-a", "IpPermissions": [PERMISSION]},
        "InvalidPermission.NotFound",
    )
    api_refused(
        "RevokeSecurityGroupIngress",
        {"GroupId": "sg-a", "SecurityGroupRuleIds": ["sgr-x"]},
        "no ingress rule sgr-x",
    )


def _entry(number: int = 100, **fields: Any) -> dict[str, Any]:
    entry = {"NetworkAclId": "acl-1", "RuleNumber": number, "Protocol": "6", "RuleAction": "deny"}
    entry.update(Egress=False, CidrBlock="10.0.1.9/24", PortRange={"From": 22, "To": 22})
    return {**entry, **fields}


def test_network_acl_entries_are_created_replaced_and_deleted() -> None:
    created = apply_api(api_config(), "CreateNetworkAclEntry", _entry())
    nacl = next(n for n in load_config(created).nacls if n.id == "acl-1")
    assert [(r.n, r.action, r.proto, r.ports, r.cidr) for r in nacl.ingress] == [
        (100, "deny", "tcp", "22", "10.0.1.0/24")
    ]
    with pytest.raises(ConfigError, match="NetworkAclEntryAlreadyExists"):
        apply_api(created, "CreateNetworkAclEntry", _entry())
    icmp = _entry(
        Protocol="1", RuleAction="allow", PortRange=None, IcmpTypeCode={"Type": 3, "Code": 4}
    )
    replaced = apply_api(created, "ReplaceNetworkAclEntry", icmp)
    nacl = next(n for n in load_config(replaced).nacls if n.id == "acl-1")
    assert [(r.proto, r.icmp_type, r.icmp_code) for r in nacl.ingress] == [("icmp", 3, 4)]
    deleted = apply_api(
        replaced,
        "DeleteNetworkAclEntry",
        {"NetworkAclId": "acl-1", "RuleNumber": 100, "Egress": False},
    )
    assert next(n for n in load_config(deleted).nacls if n.id == "acl-1").ingress == []


def test_network_acl_entry_refusals() -> None:
    api_refused("ReplaceNetworkAclEntry", _entry(), "no ingress entry number 100")
    api_refused(
        "DeleteNetworkAclEntry",
        {"NetworkAclId": "acl-1", "RuleNumber": 100, "Egress": True},
        "no egress entry",
    )
    api_refused("CreateNetworkAclEntry", _entry(32767), "rule number out of range")
    api_refused("CreateNetworkAclEntry", _entry(CidrBlock=None), "CidrBlock or Ipv6CidrBlock")


def test_default_nacl_entries_can_be_edited() -> None:
    params = {**_entry(90), "NetworkAclId": "acl-default-vpc-a"}
    nacl = next(
        n
        for n in apply_and_load("CreateNetworkAclEntry", params).nacls
        if n.id == "acl-default-vpc-a"
    )
    assert [r.n for r in nacl.ingress] == [90, 100, 101]
