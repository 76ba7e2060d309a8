"""Security groups compiled per ENI: union, protocols/ports/ICMP, peers, SG references,
and the tracked/untracked decision (SG-R4..R10, SG-R20, SG-R21)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smartnic.compiler.cidr import parse_ip
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.compiler.sg import UNKNOWN_TAG, CompiledSgRule, SgPolicy
from smartnic.model import Config

TCP, UDP, ICMP, ICMPV6, GRE = 6, 17, 1, 58, 47


def _program(build_t1: Callable[..., Config], ingress: list[dict[str, Any]],
             egress: list[dict[str, Any]] | None = None,
             extra: dict[str, Any] | None = None) -> Program:
    sg: dict[str, Any] = {"id": "sg-c", "ingress": ingress}
    if egress is not None:
        sg["egress"] = egress
    extra = dict(extra or {})
    groups = [sg, *extra.pop("security_groups", [])]
    return compile_program(build_t1({"security_groups": groups, **extra}))


def _matching(policy: SgPolicy, direction: str, peer: str, proto: int, dport: int = 0,
              icmp_type: int = 0, icmp_code: int = 0,
              sender_tag: int | None = None) -> list[CompiledSgRule]:
    version, address = parse_ip(peer)
    return [r for r in policy.rules(direction)
            if r.l4.matches(proto, dport, icmp_type, icmp_code)
            and r.peer.matches(version, address, sender_tag)]


def _allows(policy: SgPolicy, direction: str, peer: str, proto: int, dport: int = 0,
            icmp_type: int = 0, icmp_code: int = 0, sender_tag: int | None = None) -> bool:
    return bool(_matching(policy, direction, peer, proto, dport, icmp_type, icmp_code,
                          sender_tag))


def test_rules_of_all_attached_groups_form_one_union_sg_r8(
        build_t1: Callable[..., Config]) -> None:
    config = build_t1({
        "security_groups": [
            {"id": "sg-x", "vpc": "vpc-a", "ingress": [
                {"proto": "tcp", "ports": "22", "peer": "203.0.113.1/32"}]},
            {"id": "sg-y", "vpc": "vpc-a", "ingress": [
                {"proto": "tcp", "ports": "22", "peer": "0.0.0.0/0"},
                {"proto": "udp", "ports": "53", "peer": "10.0.0.0/16"}]},
        ],
        "enis": [{"id": "eni-c", "sgs": ["sg-x", "sg-y"]}],
    })
    policy = compile_program(config).enis["eni-c"].policy
    assert {r.sg_id for r in policy.ingress} == {"sg-x", "sg-y"}
    assert _allows(policy, "ingress", "198.51.100.99", TCP, 22)  # most permissive wins
    assert _allows(policy, "ingress", "10.0.1.10", UDP, 53)
    assert not _allows(policy, "ingress", "198.51.100.99", UDP, 53)


def test_no_rules_means_nothing_is_allowed_sg_r1(build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [], []).enis["eni-c"].policy
    assert policy.ingress == () and policy.egress == ()
    assert not _allows(policy, "ingress", "10.0.1.10", TCP, 22)
    assert not _allows(policy, "egress", "10.0.1.10", TCP, 22)


def test_port_range_inclusive_on_destination_port_sg_r5(build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [{"proto": "tcp", "ports": "7000-8000",
                                  "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    assert [_allows(policy, "ingress", "8.8.8.8", TCP, p)
            for p in (6999, 7000, 7500, 8000, 8001)] == [False, True, True, True, False]
    assert not _allows(policy, "ingress", "8.8.8.8", UDP, 7500)


@pytest.mark.parametrize("proto", ["all", -1, GRE])
def test_all_and_other_protocol_numbers_ignore_ports_sg_r4(
        build_t1: Callable[..., Config], proto: str | int) -> None:
    policy = _program(build_t1, [{"proto": proto, "ports": "22",
                                  "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    if proto == GRE:
        assert _allows(policy, "ingress", "8.8.8.8", GRE, 0)
        assert not _allows(policy, "ingress", "8.8.8.8", TCP, 80)
    else:
        for l4 in ((TCP, 80), (UDP, 9999), (ICMP, 0), (GRE, 0)):
            assert _allows(policy, "ingress", "8.8.8.8", *l4)


def test_icmp_type_in_from_port_code_in_to_port_sg_r6(build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [
        {"proto": "icmp", "icmp_type": 8, "icmp_code": -1, "peer": "0.0.0.0/0"},
        {"proto": "icmp", "icmp_type": 3, "icmp_code": 4, "peer": "0.0.0.0/0"},
    ]).enis["eni-c"].policy
    assert _allows(policy, "ingress", "8.8.8.8", ICMP, icmp_type=8, icmp_code=0)
    assert _allows(policy, "ingress", "8.8.8.8", ICMP, icmp_type=8, icmp_code=7)
    assert _allows(policy, "ingress", "8.8.8.8", ICMP, icmp_type=3, icmp_code=4)
    assert not _allows(policy, "ingress", "8.8.8.8", ICMP, icmp_type=3, icmp_code=3)
    assert not _allows(policy, "ingress", "8.8.8.8", ICMP, icmp_type=0, icmp_code=0)


def test_icmpv6_without_type_allows_all_icmpv6_only_sg_r4_r6(
        build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [{"proto": "icmpv6", "peer": "::/0"}]).enis["eni-c"].policy
    for icmp_type in (128, 129, 1, 2):
        assert _allows(policy, "ingress", "2001:db8::1", ICMPV6, icmp_type=icmp_type)
    assert not _allows(policy, "ingress", "2001:db8::1", ICMP, icmp_type=8)


def test_ipv4_peer_never_matches_ipv6_and_back_sg_r7(build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [{"proto": "all", "peer": "0.0.0.0/0"}],
                      [{"proto": "all", "peer": "::/0"}]).enis["eni-c"].policy
    assert _allows(policy, "ingress", "198.51.100.1", TCP, 80)
    assert not _allows(policy, "ingress", "2001:db8::1", TCP, 80)
    assert _allows(policy, "egress", "2001:db8::1", TCP, 80)
    assert not _allows(policy, "egress", "198.51.100.1", TCP, 80)


def test_single_address_peers_sg_r7(build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, [{"proto": "tcp", "ports": "22", "peer": "203.0.113.1/32"},
                                 {"proto": "tcp", "ports": "22", "peer": "2001:db8::7/128"}]
                      ).enis["eni-c"].policy
    assert _allows(policy, "ingress", "203.0.113.1", TCP, 22)
    assert not _allows(policy, "ingress", "203.0.113.2", TCP, 22)
    assert _allows(policy, "ingress", "2001:db8::7", TCP, 22)
    assert not _allows(policy, "ingress", "2001:db8::8", TCP, 22)


def test_prefix_list_peer_matches_every_entry_sg_r10(build_t1: Callable[..., Config]) -> None:
    extra = {"prefix_lists": [{"id": "pl-office", "max_entries": 4,
                               "entries": ["203.0.113.0/28", "198.51.100.64/26"]}]}
    policy = _program(build_t1, [{"proto": "tcp", "ports": "443", "peer": "pl-office"}],
                      extra=extra).enis["eni-c"].policy
    assert _allows(policy, "ingress", "203.0.113.5", TCP, 443)
    assert _allows(policy, "ingress", "198.51.100.100", TCP, 443)
    assert not _allows(policy, "ingress", "203.0.113.16", TCP, 443)
    assert not _allows(policy, "ingress", "198.51.100.1", TCP, 443)


SG_REF = {"enis": [{"id": "eni-a", "ips": ["10.0.1.10", "10.0.1.11"],
                    "public_ip": "54.0.0.10"}],
          "igws": [{"id": "igw-1", "vpc": "vpc-a"}]}


def test_sg_reference_matches_member_private_addresses_only_sg_r9(
        build_t1: Callable[..., Config]) -> None:
    program = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "sg-a"}], extra=SG_REF)
    policy = program.enis["eni-c"].policy
    member_tag = program.enis["eni-a"].tag
    for private in ("10.0.1.10", "10.0.1.11", "2001:db8:1234:1a01::10"):
        assert _allows(policy, "ingress", private, TCP, 80, sender_tag=member_tag), private
    assert not _allows(policy, "ingress", "54.0.0.10", TCP, 80)  # public IP of the member
    assert not _allows(policy, "ingress", "10.0.1.20", TCP, 80)  # eni-b is not in sg-a
    assert not _allows(policy, "ingress", "10.0.1.12", TCP, 80)


def test_sg_reference_does_not_import_the_groups_rules_sg_r9(
        build_t1: Callable[..., Config]) -> None:
    extra = {"security_groups": [{"id": "sg-a", "ingress": [
        {"proto": "udp", "ports": "53", "peer": "0.0.0.0/0"}]}]}
    program = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "sg-a"}], extra=extra)
    policy = program.enis["eni-c"].policy
    assert [r.sg_id for r in policy.ingress] == ["sg-c"]
    assert not _allows(policy, "ingress", "8.8.8.8", UDP, 53)


def test_sg_reference_checks_the_sender_identity_sg_r9a(build_t1: Callable[..., Config]) -> None:
    program = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "sg-a"}])
    policy = program.enis["eni-c"].policy
    member, forwarder = program.enis["eni-a"].tag, program.enis["eni-fw"].tag
    assert _allows(policy, "ingress", "10.0.1.10", TCP, 80, sender_tag=member)
    # a middlebox forwarding the member's packet keeps the address, not the identity
    assert not _allows(policy, "ingress", "10.0.1.10", TCP, 80, sender_tag=forwarder)
    # no identity on the wire (plain RFC 7348 peer): addresses decide
    assert _allows(policy, "ingress", "10.0.1.10", TCP, 80, sender_tag=UNKNOWN_TAG)


def test_egress_sg_reference_matches_destination_member(build_t1: Callable[..., Config]) -> None:
    program = _program(build_t1, [], [{"proto": "tcp", "ports": "5432", "peer": "sg-b"}])
    policy = program.enis["eni-c"].policy
    assert _allows(policy, "egress", "10.0.1.20", TCP, 5432)
    assert not _allows(policy, "egress", "10.0.1.10", TCP, 5432)


# -- SG-R20 / SG-R21: tracked or not, decided from the union rule set ----------------------

def _untracked(policy: SgPolicy, direction: str, peer: str, proto: int, dport: int = 0,
               icmp_type: int = 0) -> bool:
    matched = _matching(policy, direction, peer, proto, dport, icmp_type)
    assert matched, "the packet must be permitted for the question to make sense"
    return policy.untracked(direction, parse_ip(peer)[0], proto, matched)


AWS_EXAMPLE_INGRESS = [
    {"proto": "tcp", "ports": "22", "peer": "203.0.113.1/32"},
    {"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"},
    {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "0.0.0.0/0"},
]


def test_aws_example_port_22_from_one_address_is_tracked_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, AWS_EXAMPLE_INGRESS,
                      [{"proto": "all", "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    assert _untracked(policy, "ingress", "203.0.113.1", TCP, 22) is False


def test_aws_example_port_80_from_anywhere_with_open_egress_is_untracked_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, AWS_EXAMPLE_INGRESS,
                      [{"proto": "all", "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    assert _untracked(policy, "ingress", "198.51.100.7", TCP, 80) is True


def test_icmp_is_always_tracked_even_under_allow_all_sg_r21(
        build_t1: Callable[..., Config]) -> None:
    policy = _program(build_t1, AWS_EXAMPLE_INGRESS,
                      [{"proto": "all", "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    assert _untracked(policy, "ingress", "198.51.100.7", ICMP, icmp_type=8) is False
    everything = _program(build_t1, [{"proto": "all", "peer": "0.0.0.0/0"}],
                          [{"proto": "all", "peer": "0.0.0.0/0"}]).enis["eni-c"].policy
    assert _untracked(everything, "ingress", "198.51.100.7", ICMP, icmp_type=8) is False
    assert _untracked(everything, "ingress", "198.51.100.7", GRE) is False
    assert _untracked(everything, "ingress", "198.51.100.7", UDP, 53) is True


def test_removing_ipv4_egress_allow_all_makes_traffic_tracked_again_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    narrowed = _program(build_t1, AWS_EXAMPLE_INGRESS,
                        [{"proto": "tcp", "ports": "443", "peer": "0.0.0.0/0"}]
                        ).enis["eni-c"].policy
    assert _untracked(narrowed, "ingress", "198.51.100.7", TCP, 80) is False
    v6_only = _program(build_t1, AWS_EXAMPLE_INGRESS,
                       [{"proto": "all", "peer": "::/0"}]).enis["eni-c"].policy
    assert _untracked(v6_only, "ingress", "198.51.100.7", TCP, 80) is False


def test_reverse_allow_all_must_cover_all_ports_of_the_protocol_sg_r20(
        build_t1: Callable[..., Config]) -> None:
    all_tcp = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}],
                       [{"proto": "tcp", "ports": "0-65535", "peer": "0.0.0.0/0"}]
                       ).enis["eni-c"].policy
    assert _untracked(all_tcp, "ingress", "198.51.100.7", TCP, 80) is True
    almost = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}],
                      [{"proto": "tcp", "ports": "1024-65535", "peer": "0.0.0.0/0"}]
                      ).enis["eni-c"].policy
    assert _untracked(almost, "ingress", "198.51.100.7", TCP, 80) is False
    udp_only = _program(build_t1, [{"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}],
                        [{"proto": "udp", "ports": "0-65535", "peer": "0.0.0.0/0"}]
                        ).enis["eni-c"].policy
    assert _untracked(udp_only, "ingress", "198.51.100.7", TCP, 80) is False
