"""Same-host and cross-host delivery reach the same verdicts and deliver the same bytes
(architecture: one slow path, wherever the receiver lives; spec §3.1 ORD-R1..R3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dp_support import make_cloud, send
from smartnic.model import Config
from smartnic.net.cloud import Cloud

POLICY: dict[str, Any] = {
    "security_groups": [
        {"id": "sg-c", "ingress": [{"proto": "tcp", "ports": "22", "peer": "10.0.1.10/32"},
                                   {"proto": "udp", "ports": "9000-9999", "peer": "10.0.0.0/16"}]},
        {"id": "sg-b", "ingress": [{"proto": "icmp", "icmp_type": 8, "icmp_code": -1,
                                    "peer": "sg-a"}]},
    ],
    "nacls": [{"id": "acl-2", "vpc": "vpc-a",
               "ingress": [{"n": 50, "action": "deny", "proto": "udp", "ports": "9999",
                            "cidr": "10.0.1.0/24"},
                           {"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"},
                           {"n": 101, "action": "allow", "proto": "all", "cidr": "::/0"}],
               "egress": [{"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"},
                          {"n": 101, "action": "allow", "proto": "all", "cidr": "::/0"}]}],
    "subnets": [{"id": "subnet-2", "nacl": "acl-2"}],
}
SAME_HOST = {"hosts": [{"id": "host-1", "enis": ["eni-a", "eni-b", "eni-c", "eni-fw"]},
                       {"id": "host-2", "enis": []}, {"id": "host-3", "enis": []}]}

# (send step, expected result, expected destination or drop stage) — derived from the spec
CASES: list[tuple[dict[str, Any], str, str]] = [
    (dict(src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000, dport=22, flags="S"),
     "delivered", "eni-c"),  # SG-R5 rule from a /32
    (dict(src_eni="eni-c", dst="10.0.1.10", proto="tcp", sport=22, dport=40000, flags="SA"),
     "delivered", "eni-a"),  # SG-R18 tracked reply, sg-a has no inbound rule
    (dict(src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40001, dport=23, flags="S"),
     "dropped", "dst_sg_ingress"),  # SG-R1
    (dict(src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=9000),
     "delivered", "eni-c"),
    (dict(src_eni="eni-a", dst="10.0.2.30", proto="udp", sport=40000, dport=9999),
     "dropped", "dst_nacl_ingress"),  # NACL-R3: rule 50 before rule 100
    (dict(src_eni="eni-a", dst="10.0.1.20", proto="udp", sport=40000, dport=9999),
     "dropped", "dst_sg_ingress"),  # same subnet: no NACL (NACL-R8), sg-b refuses
    (dict(src_eni="eni-a", dst="10.0.1.20", proto="icmp", icmp_type=8, icmp_id=5),
     "delivered", "eni-b"),  # SG-R9 reference to sg-a
    (dict(src_eni="eni-c", dst="10.0.1.20", proto="icmp", icmp_type=8, icmp_id=6),
     "dropped", "dst_sg_ingress"),  # eni-c is not a member of sg-a
    (dict(src_eni="eni-a", dst="10.0.2.99", proto="tcp", sport=40000, dport=80, flags="S"),
     "dropped", "no_destination"),
    (dict(src_eni="eni-a", dst="192.168.1.1", proto="tcp", sport=40000, dport=80, flags="S"),
     "dropped", "no_route"),
    (dict(src_eni="eni-a", dst="2001:db8:1234:1a02::30", proto="tcp", sport=40000, dport=22,
          flags="S"), "dropped", "dst_sg_ingress"),  # SG-R7: the /32 rule is IPv4 only
]


def _run(cloud: Cloud) -> list[tuple[str, str | None, str | None, list[bytes]]]:
    outcomes = []
    for spec, _, _ in CASES:
        journey = send(cloud, **spec)
        drop = journey.drop
        delivered = [r.frame for r in journey.received if r.to == journey.to]
        outcomes.append((journey.result, journey.to, drop.stage if drop else None, delivered))
    return outcomes


@pytest.fixture(scope="module")
def both(build_t1: Callable[..., Config]) -> tuple[list[Any], ...]:
    """Outcomes cross-host over VXLAN, on one host, and cross-host over Geneve."""
    cross = make_cloud(build_t1(POLICY))
    same = make_cloud(build_t1({**POLICY, **SAME_HOST}))
    geneve = make_cloud(build_t1({**POLICY, "overlay": "geneve"}))
    assert {e.host_id for e in cross.program.enis.values()} == {"host-1", "host-2", "host-3"}
    assert {e.host_id for e in same.program.enis.values()} == {"host-1"}
    return _run(cross), _run(same), _run(geneve)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_verdict_matches_the_spec_on_both_placements(both: Any, index: int) -> None:
    _, result, where = CASES[index]
    for outcomes in both:
        got_result, to, stage, _ = outcomes[index]
        assert got_result == result
        assert (to if result == "delivered" else stage) == where


@pytest.mark.parametrize("index", range(len(CASES)))
def test_same_host_and_geneve_deliver_the_same_bytes_as_cross_host(both: Any,
                                                                   index: int) -> None:
    cross, same, geneve = both
    assert cross[index] == same[index] == geneve[index]
