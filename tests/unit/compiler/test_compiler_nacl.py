"""NACLs: first match by rule number, implicit `*` denies, families, ports (NACL-R2..R6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smartnic.compiler.cidr import parse_ip
from smartnic.compiler.compile import compile_program
from smartnic.compiler.nacl import CompiledNacl, NaclVerdict
from smartnic.model import Config

TCP, UDP, ICMP, ICMPV6, ESP = 6, 17, 1, 58, 50


def _nacl(build_t1: Callable[..., Config], ingress: list[dict[str, Any]],
          egress: list[dict[str, Any]] | None = None) -> CompiledNacl:
    config = build_t1({"nacls": [{"id": "acl-x", "vpc": "vpc-a", "ingress": ingress,
                                  "egress": egress or []}]})
    return compile_program(config).nacls["acl-x"]


def _eval(nacl: CompiledNacl, direction: str, peer: str, proto: int, dport: int = 0,
          icmp_type: int = 0, icmp_code: int = 0) -> NaclVerdict:
    version, address = parse_ip(peer)
    return nacl.evaluate(direction, version, address, proto, dport, icmp_type, icmp_code)


def _rule(n: int, action: str, cidr: str, proto: str | int = "all", **extra: Any) -> dict[str, Any]:
    return {"n": n, "action": action, "proto": proto, "cidr": cidr, **extra}


def test_lowest_number_decides_whatever_the_listing_order_nacl_r3(
        build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(200, "allow", "0.0.0.0/0"),
                            _rule(100, "deny", "10.0.0.0/8", "tcp", ports="22")])
    denied = _eval(nacl, "ingress", "10.1.2.3", TCP, 22)
    assert (denied.allow, denied.rule_number) == (False, 100)
    allowed = _eval(nacl, "ingress", "10.1.2.3", TCP, 23)
    assert (allowed.allow, allowed.rule_number) == (True, 200)


def test_first_match_wins_even_if_a_later_rule_is_more_specific_nacl_r3(
        build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "10.0.0.0/8"),
                            _rule(110, "deny", "10.0.1.10/32")])
    verdict = _eval(nacl, "ingress", "10.0.1.10", UDP, 53)
    assert (verdict.allow, verdict.rule_number) == (True, 100)


@pytest.mark.parametrize(("peer", "number"), [("192.0.2.1", 32767), ("2001:db8::1", 32768)])
def test_unmatched_packets_hit_the_implicit_deny_nacl_r4(
        build_t1: Callable[..., Config], peer: str, number: int) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "10.0.0.0/8")])
    verdict = _eval(nacl, "ingress", peer, TCP, 80)
    assert (verdict.allow, verdict.rule_number) == (False, number)


def test_new_custom_nacl_denies_both_directions_nacl_r11(build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [])
    for direction in ("ingress", "egress"):
        assert _eval(nacl, direction, "10.0.1.10", TCP, 80).rule_number == 32767
        assert _eval(nacl, direction, "2001:db8::5", ICMPV6, 0, 128).rule_number == 32768


def test_ipv4_rule_never_matches_ipv6_nacl_r6(build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "0.0.0.0/0")],
                 [_rule(100, "allow", "::/0")])
    assert _eval(nacl, "ingress", "2001:db8::1", TCP, 80).allow is False
    assert _eval(nacl, "ingress", "198.51.100.1", TCP, 80).allow is True
    assert _eval(nacl, "egress", "198.51.100.1", TCP, 80).allow is False
    assert _eval(nacl, "egress", "2001:db8::1", TCP, 80).allow is True


def test_port_range_is_inclusive_and_matches_destination_port_nacl_r2(
        build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "0.0.0.0/0", "tcp", ports="32768-61000")])
    assert [_eval(nacl, "ingress", "8.8.8.8", TCP, port).allow
            for port in (32767, 32768, 45000, 61000, 61001)] == [False, True, True, True, False]
    assert _eval(nacl, "ingress", "8.8.8.8", UDP, 40000).allow is False


def test_other_protocol_number_ignores_ports_nacl_r5(build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "0.0.0.0/0", ESP, ports="22")])
    assert _eval(nacl, "ingress", "8.8.8.8", ESP, 0).allow is True
    assert _eval(nacl, "ingress", "8.8.8.8", ESP, 9999).allow is True
    assert _eval(nacl, "ingress", "8.8.8.8", TCP, 22).allow is False


def test_icmp_type_and_code_nacl_r5(build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(100, "allow", "0.0.0.0/0", "icmp", icmp_type=3, icmp_code=4),
                            _rule(110, "allow", "0.0.0.0/0", "icmp", icmp_type=8, icmp_code=-1)])
    assert _eval(nacl, "ingress", "8.8.8.8", ICMP, 0, 3, 4).allow is True
    assert _eval(nacl, "ingress", "8.8.8.8", ICMP, 0, 3, 1).allow is False
    assert _eval(nacl, "ingress", "8.8.8.8", ICMP, 0, 8, 0).allow is True
    assert _eval(nacl, "ingress", "8.8.8.8", ICMP, 0, 0, 0).allow is False


def test_deny_reports_its_rule_number(build_t1: Callable[..., Config]) -> None:
    nacl = _nacl(build_t1, [_rule(90, "deny", "203.0.113.0/24"), _rule(100, "allow", "0.0.0.0/0")])
    verdict = _eval(nacl, "ingress", "203.0.113.9", TCP, 443)
    assert (verdict.allow, verdict.rule_number) == (False, 90)
    assert "90" in verdict.text
