"""Mapping: VNIs per VPC, identity tags per ENI, synthetic router/gateway MACs (ENI-R4/R5)."""

from __future__ import annotations

from collections.abc import Callable

from smartnic.compiler.compile import compile_program
from smartnic.compiler.sg import GATEWAY_TAG, UNKNOWN_TAG
from smartnic.model import Config

TWO_VPCS = {"vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]},
                     {"id": "vpc-c", "cidrs": ["10.2.0.0/16"], "vni": 1002}],
            "igws": [{"id": "igw-1", "vpc": "vpc-a"}], "vgws": [{"id": "vgw-1", "vpc": "vpc-b"}]}


def _locally_administered_unicast(mac: bytes) -> bool:
    return len(mac) == 6 and mac[0] & 0x02 == 0x02 and mac[0] & 0x01 == 0


def test_each_vpc_gets_a_distinct_vni_and_explicit_ones_are_kept(
        build_t1: Callable[..., Config]) -> None:
    program = compile_program(build_t1(TWO_VPCS))
    vnis = {vpc_id: view.vni for vpc_id, view in program.vpcs.items()}
    assert vnis["vpc-c"] == 1002
    assert len(set(vnis.values())) == 3
    assert all(0 < vni < 1 << 24 for vni in vnis.values())
    assert {v.id for v in program.vpc_by_vni.values()} == {"vpc-a", "vpc-b", "vpc-c"}


def test_identity_tags_are_unique_and_never_reserved_sg_r9a(
        build_t1: Callable[..., Config]) -> None:
    program = compile_program(build_t1())
    tags = [eni.tag for eni in program.enis.values()]
    assert len(set(tags)) == len(tags)
    assert not set(tags) & {UNKNOWN_TAG, GATEWAY_TAG, 0xFFFF}
    assert all(0 < tag < 0xFFFF for tag in tags)
    assert {program.eni_by_tag[e.tag].id for e in program.enis.values()} == set(program.enis)


def test_tags_survive_unrelated_edits(build_t1: Callable[..., Config]) -> None:
    before = compile_program(build_t1())
    after = compile_program(build_t1({"enis": [
        {"id": "eni-new", "subnet": "subnet-2", "ips": ["10.0.2.99"]}]}), generation=2)
    assert after.generation == 2
    for eni_id, eni in before.enis.items():
        assert after.enis[eni_id].tag == eni.tag


def test_router_and_gateway_macs_are_synthetic_unicast_and_distinct_eni_r4(
        build_t1: Callable[..., Config]) -> None:
    program = compile_program(build_t1(TWO_VPCS))
    macs = [v.router_mac for v in program.vpcs.values()] + list(program.gateway_macs.values())
    macs += [e.mac for e in program.enis.values()]
    assert all(_locally_administered_unicast(mac) for mac in macs)
    assert len(set(macs)) == len(macs)
    assert program.gateway_by_mac[program.gateway_macs["igw-1"]] == "igw-1"
    assert program.vpcs["vpc-a"].igw_id == "igw-1"


def test_address_owner_and_host_placement(build_t1: Callable[..., Config]) -> None:
    program = compile_program(build_t1())
    assert program.owner_of("vpc-a", 4, 0x0A00021E).id == "eni-c"  # 10.0.2.30
    assert program.owner_of("vpc-a", 4, 0x0A000263) is None  # 10.0.2.99
    assert [e.id for e in program.enis_on("host-1")] == ["eni-a", "eni-fw"]
    assert program.enis["eni-c"].host_id == "host-3"
    underlay = {h.underlay_ip for h in program.hosts.values()}
    assert len(underlay) == 3 and program.edge_underlay_ip not in underlay
    assert program.vpcs["vpc-a"].dns_ipv4 == 0x0A000002  # primary CIDR base + 2 (DNS-R1)
