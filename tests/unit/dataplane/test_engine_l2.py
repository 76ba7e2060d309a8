"""ARP and neighbour discovery are answered by the engine, never flooded (ENI-R5, ADDR-R3/R4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
from scapy.layers.l2 import ARP, Ether

from dp_support import make_cloud
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from smartnic.packet import build_arp, build_neighbor_solicitation, ip_to_int

BROADCAST = b"\xff" * 6


@pytest.fixture
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1())


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def _arp_request(cloud: Cloud, eni_id: str, target: str, sender: str | None = None) -> bytes:
    eni = cloud.program.enis[eni_id]
    return build_arp(op=1, sender_mac=eni.mac,
                     sender_ip=ip_to_int(sender)[1] if sender else eni.primary_ipv4,
                     target_mac=bytes(6), target_ip=ip_to_int(target)[1], eth_dst=BROADCAST)


def _only_the_asker_heard(cloud: Cloud, journey_received: list, asker: str) -> None:
    assert {r.to for r in journey_received} <= {asker}
    for eni_id, vm in cloud.vms.items():
        if eni_id != asker:
            assert vm.received == [], f"{eni_id} saw a frame"
    assert cloud.underlay.pending() == 0


@pytest.mark.parametrize(("target", "owner"), [("10.0.1.1", "router"), ("10.0.1.20", "eni-b")])
def test_arp_request_is_answered_with_router_or_peer_mac(cloud: Cloud, target: str,
                                                         owner: str) -> None:
    journey = cloud.send_from_vm("eni-a", _arp_request(cloud, "eni-a", target))
    replies = journey.frames_to("eni-a")
    assert len(replies) == 1
    expected = (cloud.program.vpcs["vpc-a"].router_mac if owner == "router"
                else cloud.program.enis[owner].mac)
    reply = Ether(replies[0])
    assert reply[ARP].op == 2
    assert reply[ARP].hwsrc == _mac_text(expected)
    assert reply[ARP].psrc == target and reply[ARP].pdst == "10.0.1.10"
    assert reply.dst == _mac_text(cloud.program.enis["eni-a"].mac)
    _only_the_asker_heard(cloud, journey.received, "eni-a")
    assert cloud.eni_counters("eni-a").get("l2_answered") == 1


@pytest.mark.parametrize("target", ["10.0.2.30", "10.0.1.99", "10.0.1.255", "8.8.8.8"])
def test_arp_for_addresses_off_link_or_unassigned_gets_no_answer(cloud: Cloud,
                                                                 target: str) -> None:
    journey = cloud.send_from_vm("eni-a", _arp_request(cloud, "eni-a", target))
    assert journey.frames_to("eni-a") == []
    _only_the_asker_heard(cloud, journey.received, "eni-a")
    assert cloud.eni_counters("eni-a").get("l2_absorbed") == 1


def test_gratuitous_arp_is_absorbed_not_flooded(cloud: Cloud) -> None:
    journey = cloud.send_from_vm("eni-a", _arp_request(cloud, "eni-a", "10.0.1.10"))
    assert journey.received == []
    _only_the_asker_heard(cloud, journey.received, "eni-a")


def _ns(cloud: Cloud, eni_id: str, target: str) -> bytes:
    eni = cloud.program.enis[eni_id]
    return build_neighbor_solicitation(src_mac=eni.mac, src_ip=min(eni.ipv6),
                                       target_ip=ip_to_int(target)[1])


@pytest.mark.parametrize(("target", "owner"), [
    ("2001:db8:1234:1a01::1", "router"), ("fe80:ec2::1", "router"),
    ("2001:db8:1234:1a01::20", "eni-b")])
def test_neighbor_solicitation_is_answered(cloud: Cloud, target: str, owner: str) -> None:
    journey = cloud.send_from_vm("eni-a", _ns(cloud, "eni-a", target))
    replies = journey.frames_to("eni-a")
    assert len(replies) == 1
    expected = (cloud.program.vpcs["vpc-a"].router_mac if owner == "router"
                else cloud.program.enis[owner].mac)
    packet = Ether(replies[0])
    advert = packet[ICMPv6ND_NA]
    assert advert.tgt == target and advert.S == 1 and advert.R == int(owner == "router")
    assert packet[ICMPv6NDOptDstLLAddr].lladdr == _mac_text(expected)
    assert packet[IPv6].dst == "2001:db8:1234:1a01::10"
    wire_checksum = advert.cksum
    del advert.cksum
    assert Ether(bytes(packet))[ICMPv6ND_NA].cksum == wire_checksum
    _only_the_asker_heard(cloud, journey.received, "eni-a")


def test_neighbor_solicitation_for_another_subnet_is_not_answered(cloud: Cloud) -> None:
    journey = cloud.send_from_vm("eni-a", _ns(cloud, "eni-a", "2001:db8:1234:1a02::30"))
    assert journey.received == []
    _only_the_asker_heard(cloud, journey.received, "eni-a")


def test_arp_from_a_spoofed_mac_is_dropped(cloud: Cloud) -> None:
    frame = build_arp(op=1, sender_mac="02:66:66:66:66:66", sender_ip=ip_to_int("10.0.1.10")[1],
                      target_mac=bytes(6), target_ip=ip_to_int("10.0.1.1")[1], eth_dst=BROADCAST)
    journey = cloud.send_from_vm("eni-a", frame)
    assert journey.received == []
    assert journey.drop is not None and journey.drop.stage == "src_dst_check"


def test_arp_probe_for_the_vms_own_address_gets_no_answer(cloud: Cloud) -> None:
    journey = cloud.send_from_vm("eni-a", _arp_request(cloud, "eni-a", "10.0.1.10",
                                                       sender="0.0.0.0"))
    assert journey.frames_to("eni-a") == []


def test_arp_probe_for_an_address_in_use_is_answered(cloud: Cloud) -> None:
    journey = cloud.send_from_vm("eni-a", _arp_request(cloud, "eni-a", "10.0.1.20",
                                                       sender="0.0.0.0"))
    reply, = journey.frames_to("eni-a")
    assert Ether(reply)[ARP].hwsrc == _mac_text(cloud.program.enis["eni-b"].mac)
