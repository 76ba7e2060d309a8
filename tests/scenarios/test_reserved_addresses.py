"""Traffic to a subnet's reserved addresses, through the in-process cloud (ADDR-R3/R4).

For each reserved address of the T1 topology (tests/conftest.py) the packet is sent from
eni-a behind a deny-all SG and a deny-all NACL: the VPC's own addresses are ended at
`reserved_service` before any SG or NACL (SG-R17, NACL-R9), as `no_destination` with a
named reason, and no flow-log record is written (FL-R10). Amazon DNS at the VPC's base+2
is answered (DNS-R1). A peered VPC's reserved address is routed and finds no receiver.
"""

from __future__ import annotations

from typing import Any

import pytest

from smartnic.model import deep_merge
from smartnic.scenarios.session import Session
from tests.conftest import T1

DENY_ALL = {
    "security_groups": [{"id": "sg-a", "ingress": [], "egress": []}],
    "nacls": [{"id": "acl-1", "vpc": "vpc-a", "ingress": [], "egress": []}],
    "subnets": [{"id": "subnet-1", "nacl": "acl-1"}],
    "flow_logs": [{"id": "fl-vpc", "resource": "vpc-a", "traffic": "ALL", "interval": 60}],
}
V6 = "2001:db8:1234:1a0{}::{}"

RESERVED = [  # (destination, reason): subnet-1 is eni-a's own, subnet-2 another subnet
    ("10.0.1.0", "reserved_address"),  # ADDR-R3 network
    ("10.0.1.1", "vpc_router"),  # ADDR-R3 router (SG-R17 "reserved IPs of the VPC router")
    ("10.0.1.2", "reserved_address"),  # base+2 of a subnet that is not the VPC's base
    ("10.0.1.3", "reserved_address"),  # reserved for future use
    ("10.0.1.255", "reserved_address"),  # broadcast (ENI-R7)
    ("10.0.2.0", "reserved_address"),
    ("10.0.2.1", "vpc_router"),
    ("10.0.2.3", "reserved_address"),
    ("10.0.2.255", "reserved_address"),
    (V6.format(1, ""), "reserved_address"),  # ADDR-R4: ::, ::1 router, ::2, ::3, last
    (V6.format(1, "1"), "vpc_router"),
    (V6.format(2, "2"), "reserved_address"),
    (V6.format(2, "3"), "reserved_address"),
    ("2001:db8:1234:1a02:ffff:ffff:ffff:ffff", "reserved_address"),
    ("169.254.170.2", "link_local"),  # ADDR-R5: not a service, never forwarded
    ("fe80::1", "link_local"),
    ("fd00:ec2::1", "aws_reserved_range"),
    ("255.255.255.255", "broadcast_or_multicast"),  # ENI-R7
    ("224.0.0.5", "broadcast_or_multicast"),
]


def _session(patch: dict[str, Any]) -> Session:
    return Session(deep_merge(deep_merge(T1, DENY_ALL), patch))


def _send(session: Session, dst: str, proto: str = "udp") -> Any:
    outcome = session.run_step({"send": {"from": "eni-a", "dst": dst, "proto": proto,
                                         "sport": 40000, "dport": 9999}})
    [journey] = outcome.journeys
    return journey


def _records_to(session: Session, dst: str) -> list[Any]:
    return [r for r in session.cloud.flow_log_records(include_open=True)
            if r.values.get("dstaddr") == dst or r.values.get("pkt-dstaddr") == dst]


@pytest.mark.parametrize(("dst", "reason"), RESERVED, ids=[d for d, _ in RESERVED])
def test_reserved_destination_is_ended_unfiltered_and_unlogged(dst: str, reason: str) -> None:
    # A default route to an internet gateway would carry anything the stage let through.
    session = _session({"igws": [{"id": "igw-1", "vpc": "vpc-a"}], "route_tables": [
        {"id": "rtb-main", "routes": [{"dst": "0.0.0.0/0", "target": "igw-1"},
                                      {"dst": "::/0", "target": "igw-1"}]}]})
    journey = _send(session, dst)
    assert journey.result == "dropped"
    assert (journey.drop.stage, journey.drop.reason) == ("no_destination", reason)
    stages = [hop.stage for hop in journey.hops]
    assert stages[-1] == "reserved_service"
    assert "src_sg_egress" not in stages and "src_nacl_egress" not in stages  # SG-R17, NACL-R9
    session.run_step({"advance": 120})
    assert _records_to(session, dst) == []  # FL-R10


def test_amazon_dns_answers_at_the_vpc_base_plus_two_only() -> None:  # DNS-R1
    session = _session({})
    dns = session.run_step({"send": {"from": "eni-a", "dst": "10.0.0.2", "proto": "udp",
                                     "sport": 40000, "dport": 53}})
    assert [j.to for j in dns.journeys] == ["service:amazon-dns"]
    other = _send(session, "10.0.1.2", "udp")
    assert other.drop.reason == "reserved_address"


def test_a_dhcp_renewal_unicast_to_the_subnet_router_is_served() -> None:  # DHCP-R1
    session = _session({})
    renewal = session.run_step({"send": {"from": "eni-a", "dst": "10.0.1.1", "proto": "udp",
                                         "sport": 68, "dport": 67}})
    assert [j.to for j in renewal.journeys] == ["service:dhcp"]


def test_a_middlebox_route_to_a_whole_subnet_does_not_carry_its_reserved_addresses() -> None:
    """RT-R3 routes subnet-2 through eni-fw; its reserved addresses still end at
    reserved_service, while its ENIs' addresses go to the middlebox."""
    session = Session(deep_merge(T1, {"route_tables": [
        {"id": "rtb-1", "vpc": "vpc-a", "routes": [{"dst": "10.0.2.0/24", "target": "eni-fw"}]}],
        "subnets": [{"id": "subnet-1", "route_table": "rtb-1"}]}))
    assert _send(session, "10.0.2.30").to == "eni-fw"
    reserved = _send(session, "10.0.2.3")
    assert (reserved.drop.stage, reserved.drop.reason) == ("no_destination", "reserved_address")


def test_a_peered_vpcs_reserved_address_is_routed_and_finds_no_receiver() -> None:
    peer = {
        "vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
        "subnets": [{"id": "subnet-b1", "vpc": "vpc-b", "cidr": "10.1.1.0/24"}],
        "peerings": [{"id": "pcx-ab", "a": "vpc-a", "b": "vpc-b", "state": "active"}],
        "route_tables": [{"id": "rtb-main", "routes": [{"dst": "10.1.0.0/16",
                                                         "target": "pcx-ab"}]}],
        "security_groups": [{"id": "sg-a", "ingress": [], "egress": [
            {"proto": "all", "peer": "0.0.0.0/0"}]}],
    }
    session = Session(deep_merge(T1, peer))
    journey = _send(session, "10.1.1.1")
    assert (journey.drop.stage, journey.drop.reason) == ("no_destination",
                                                          "no_interface_holds_address")
    assert journey.hops[-1].stage == "route"
