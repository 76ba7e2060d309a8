"""Validation of SG rules (SG-R4..R11, §1.5 quotas) and NACL rules (NACL-R2, NACL-R5, quota)."""

from __future__ import annotations

from typing import Any

import pytest

VPC_B = {"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}


def _ingress(*rules: dict[str, Any], **sg_fields: Any) -> dict[str, Any]:
    return {"security_groups": [{"id": "sg-a", "ingress": list(rules), **sg_fields}]}


def _tcp(peer: str = "10.0.0.0/16", **fields: Any) -> dict[str, Any]:
    return {"proto": "tcp", "ports": "22", "peer": peer, **fields}


def _cidr_rules(count: int, version: int = 4) -> list[dict[str, Any]]:
    peers = [f"10.9.{n}.0/24" if version == 4 else f"2001:db8:9:{n:x}::/64" for n in range(count)]
    return [_tcp(peer) for peer in peers]


def _cross_vpc(peer: str, state: str | None = "active") -> dict[str, Any]:
    patch: dict[str, Any] = {
        "vpcs": [VPC_B],
        "security_groups": [{"id": "sg-b", "vpc": "vpc-b", "ingress": [_tcp(peer)]}],
    }
    if state is not None:
        patch["peerings"] = [{"id": "pcx-1", "a": "vpc-a", "b": "vpc-b", "state": state}]
    return patch


def _nacl(*rules: dict[str, Any], direction: str = "ingress", vpc: str = "vpc-a") -> dict[str, Any]:
    return {"nacls": [{"id": "acl-1", "vpc": vpc, direction: list(rules)}]}


def _nacl_rule(n: int = 100, cidr: str = "0.0.0.0/0", **fields: Any) -> dict[str, Any]:
    return {"n": n, "action": "allow", "proto": "all", "cidr": cidr, **fields}


PL_50 = {"prefix_lists": [{"id": "pl-big", "max_entries": 50, "entries": ["10.8.0.0/16"]}]}

REFUSED = [
    ({"security_groups": [{"id": "sg-x", "vpc": "vpc-zz"}]}, "sg-x", "vpc", "unknown VPC"),
    # SG-R4: protocols
    (
        _ingress({"proto": "foo", "peer": "0.0.0.0/0"}),
        "sg-a",
        "ingress[0].proto",
        "unknown protocol",
    ),
    (_ingress({"proto": 256, "peer": "0.0.0.0/0"}), "sg-a", "ingress[0].proto", "-1 or 0..255"),
    # SG-R4/R5: ports
    (_ingress(_tcp(ports=None)), "sg-a", "ingress[0].ports", "a tcp rule needs ports"),
    (_ingress({"proto": "udp", "peer": "::/0"}), "sg-a", "ingress[0].ports", "needs ports"),
    (_ingress(_tcp(ports="70000")), "sg-a", "ingress[0].ports", "within 0..65535"),
    (_ingress(_tcp(ports="90-80")), "sg-a", "ingress[0].ports", "runs backwards"),
    (_ingress(_tcp(ports="http")), "sg-a", "ingress[0].ports", "'N' or 'N-M'"),
    # SG-R6: ICMP
    (
        _ingress({"proto": "icmp", "icmp_type": 8, "peer": "0.0.0.0/0"}),
        "sg-a",
        "ingress[0].icmp_code",
        "needs icmp_type and icmp_code",
    ),
    (
        _ingress({"proto": "icmp", "icmp_type": -1, "icmp_code": 0, "peer": "0.0.0.0/0"}),
        "sg-a",
        "ingress[0].icmp_code",
        "icmp_type -1 requires icmp_code -1",
    ),
    (
        _ingress({"proto": "icmpv6", "icmp_type": 300, "peer": "::/0"}),
        "sg-a",
        "ingress[0].icmp_type",
        "-1 or 0..255",
    ),
    # SG-R7/R9: peers
    (_ingress(_tcp("10.0.0.300/32")), "sg-a", "ingress[0].peer", "not a valid CIDR"),
    (_ingress(_tcp("10.0.0.1")), "sg-a", "ingress[0].peer", "is not a CIDR"),
    (_ingress(_tcp("sg-zz")), "sg-a", "ingress[0].peer", "unknown security group sg-zz"),
    (_ingress(_tcp("pl-zz")), "sg-a", "ingress[0].peer", "unknown prefix list pl-zz"),
    (_cross_vpc("sg-a"), "sg-b", "ingress[0].peer", "123456789010/sg-a"),
    (_cross_vpc("123456789010/sg-a", state=None), "sg-b", "ingress[0].peer", "not peered"),
    (
        _cross_vpc("123456789010/sg-a", "pending-acceptance"),
        "sg-b",
        "ingress[0].peer",
        "not peered",
    ),
    (_cross_vpc("999999999999/sg-a"), "sg-b", "ingress[0].peer", "another account"),
    # SG-R11: names and rule ids
    (_ingress(name="sg-web"), "sg-a", "name", "cannot start 'sg-'"),
    (
        {
            "security_groups": [
                {"id": "sg-a", "name": "web"},
                {"id": "sg-b", "vpc": "vpc-a", "name": "web"},
            ]
        },
        "sg-b",
        "name",
        "already used by sg-a",
    ),
    (
        _ingress(_tcp(rule_id="sgr-1"), _tcp("10.1.0.0/16", rule_id="sgr-1")),
        "sg-a",
        "ingress[1].rule_id",
        "duplicate rule_id",
    ),
    # §1.5 quotas, SG-R10 weights
    (_ingress(*_cidr_rules(61)), "sg-a", "ingress", "more than 60 inbound IPv4 rules"),
    (
        {"security_groups": [{"id": "sg-a", "egress": _cidr_rules(61, version=6)}]},
        "sg-a",
        "egress",
        "more than 60 outbound IPv6 rules",
    ),
    (
        {**PL_50, **_ingress(_tcp("pl-big"), *_cidr_rules(11))},
        "sg-a",
        "ingress",
        "more than 60 inbound IPv4 rules",
    ),
    (
        {"security_groups": [{"id": "sg-a", "ingress": _cidr_rules(60, 6) + [_tcp("sg-a")]}]},
        "sg-a",
        "ingress",
        "more than 60 inbound IPv6 rules",
    ),
    # NACL-R2, NACL-R5, quota
    (_nacl(vpc="vpc-zz"), "acl-1", "vpc", "unknown VPC"),
    (_nacl(_nacl_rule(0)), "acl-1", "ingress[0].n", "rule number out of range"),
    (_nacl(_nacl_rule(32767)), "acl-1", "ingress[0].n", "rule number out of range"),
    (
        _nacl(_nacl_rule(100), _nacl_rule(100, "::/0"), direction="egress"),
        "acl-1",
        "egress[1].n",
        "duplicate rule number 100",
    ),
    (_nacl(_nacl_rule(action="maybe")), "acl-1", "ingress[0].action", "'allow' or 'deny'"),
    (_nacl(_nacl_rule(proto="tcp")), "acl-1", "ingress[0].ports", "needs ports"),
    (
        _nacl(_nacl_rule(proto="icmp", icmp_code=0)),
        "acl-1",
        "ingress[0].icmp_type",
        "needs icmp_type",
    ),
    (
        _nacl(_nacl_rule(cidr="::/0", proto=58)),
        "acl-1",
        "ingress[0].icmp_type",
        "needs icmp_type and icmp_code",
    ),
    (_nacl(_nacl_rule(cidr="0.0.0.0")), "acl-1", "ingress[0].cidr", "is not a CIDR"),
    (
        _nacl(*[_nacl_rule(n, f"10.9.{n}.0/24") for n in range(1, 21)]),
        "acl-1",
        "ingress",
        "more than 20 inbound IPv4 rules",
    ),
]


@pytest.mark.parametrize(("patch", "object_id", "field", "phrase"), REFUSED)
def test_refused(
    refused: Any, patch: dict[str, Any], object_id: str, field: str, phrase: str
) -> None:
    refused(patch, object_id, field, phrase)


ACCEPTED = [
    _ingress(
        _tcp(ports="0-65535"),
        {"proto": -1, "peer": "0.0.0.0/0"},
        {"proto": "all", "ports": "99999", "peer": "::/0"},  # SG-R4: ports ignored
        {"proto": 47, "ports": "http", "peer": "10.0.0.0/8"},
        {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "0.0.0.0/0"},
        {"proto": "icmpv6", "peer": "::/0"},
        _tcp("sg-a"),
        _tcp("123456789010/sg-a"),
    ),
    _cross_vpc("123456789010/sg-a"),  # SG-R9: peered VPC's group across an active peering
    _ingress(*_cidr_rules(60), *_cidr_rules(60, version=6)),
    {**PL_50, **_ingress(_tcp("pl-big"), *_cidr_rules(10))},
    _nacl(*[_nacl_rule(n, f"10.9.{n}.0/24") for n in range(1, 20)]),
    _nacl(
        _nacl_rule(1),
        _nacl_rule(32766, "::/0"),
        _nacl_rule(100, "::/0", proto=58, icmp_type=2, icmp_code=0),
    ),
    _nacl(_nacl_rule(100, proto="icmpv6")),  # NACL-R5: ICMPv6 fields needed only with IPv6 CIDRs
    _nacl(_nacl_rule(100, proto=47, ports="80-80")),
]


@pytest.mark.parametrize("patch", ACCEPTED)
def test_accepted(accepted: Any, patch: dict[str, Any]) -> None:
    accepted(patch)


def test_rule_errors_point_at_the_rule_as_written(refused: Any) -> None:
    rules = [_nacl_rule(200), _nacl_rule(100, proto="tcp")]
    refused(_nacl(*rules), "acl-1", "ingress[1].ports", "needs ports")
