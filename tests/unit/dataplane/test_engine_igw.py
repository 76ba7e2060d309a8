"""Internet gateway: 1:1 NAT between an ENI's private and public IPv4 with correct checksums,
IPv6 without translation, and the receiver's NACL and SG deciding entry (ORD-R5, RT-R5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, defrag
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from dp_support import frames_for, ipv4_header_ok, l4_checksum_ok, make_cloud, send
from smartnic.dataplane.edge import INTERNET_ROUTER_MAC
from smartnic.model import Config
from smartnic.net.cloud import Cloud

PUBLIC = "54.0.0.10"
CLIENT = "198.51.100.7"
IGW: dict[str, Any] = {
    "igws": [{"id": "igw-1", "vpc": "vpc-a"}],
    "route_tables": [{"id": "rtb-main", "routes": [{"dst": "0.0.0.0/0", "target": "igw-1"},
                                                   {"dst": "::/0", "target": "igw-1"}]}],
    "enis": [{"id": "eni-a", "public_ip": PUBLIC}],
    "security_groups": [{"id": "sg-a", "ingress": [
        {"proto": "tcp", "ports": "443", "peer": "0.0.0.0/0"},
        {"proto": "tcp", "ports": "443", "peer": "::/0"},
        {"proto": "udp", "ports": "53", "peer": "0.0.0.0/0"},
        {"proto": "icmp", "icmp_type": 8, "icmp_code": -1, "peer": "0.0.0.0/0"}]}],
}


@pytest.fixture
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1(IGW))


def _mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def _inbound(cloud: Cloud, **extra: Any) -> Any:
    spec = dict(src_eni="internet", src=CLIENT, dst=PUBLIC, proto="tcp", sport=50000,
                dport=443, flags="S") | extra
    return send(cloud, **spec)


def test_inbound_destination_is_translated_to_the_private_address(cloud: Cloud) -> None:
    journey = _inbound(cloud)
    assert journey.to == "eni-a"
    frame, = journey.frames_to("eni-a")
    packet = Ether(frame)
    assert (packet[IP].src, packet[IP].dst) == (CLIENT, "10.0.1.10")
    assert (packet[TCP].sport, packet[TCP].dport) == (50000, 443)
    assert packet.dst == _mac(cloud.program.enis["eni-a"].mac)
    assert ipv4_header_ok(frame) and l4_checksum_ok(frame)


def test_outbound_source_is_translated_to_the_public_address(cloud: Cloud) -> None:
    assert _inbound(cloud).to == "eni-a"
    journey = send(cloud, src_eni="eni-a", dst=CLIENT, proto="tcp", sport=443, dport=50000,
                   flags="SA")
    frame, = journey.frames_to("internet")
    packet = Ether(frame)
    assert (packet[IP].src, packet[IP].dst) == (PUBLIC, CLIENT)
    assert (packet[TCP].sport, packet[TCP].dport, str(packet[TCP].flags)) == (443, 50000, "SA")
    assert packet.dst == _mac(INTERNET_ROUTER_MAC)
    assert packet.src == _mac(cloud.program.gateway_macs["igw-1"])
    assert ipv4_header_ok(frame) and l4_checksum_ok(frame)


def test_udp_and_icmp_checksums_survive_translation(cloud: Cloud) -> None:
    udp = _inbound(cloud, proto="udp", sport=5353, dport=53)
    frame, = udp.frames_to("eni-a")
    assert Ether(frame)[UDP].dport == 53 and l4_checksum_ok(frame)
    out = send(cloud, src_eni="eni-a", dst=CLIENT, proto="udp", sport=53, dport=5353)
    frame, = out.frames_to("internet")
    assert Ether(frame)[IP].src == PUBLIC and ipv4_header_ok(frame) and l4_checksum_ok(frame)
    ping = _inbound(cloud, proto="icmp", icmp_type=8, icmp_id=77)
    frame, = ping.frames_to("eni-a")
    assert Ether(frame)[ICMP].id == 77 and ipv4_header_ok(frame) and l4_checksum_ok(frame)


def test_udp_without_checksum_keeps_zero(cloud: Cloud) -> None:
    raw = (Ether(src=_mac(INTERNET_ROUTER_MAC), dst="0e:00:00:00:00:00")
           / IP(src=CLIENT, dst=PUBLIC) / UDP(sport=5353, dport=53, chksum=0) / b"query")
    journey = cloud.send_from_internet(bytes(raw))
    frame, = journey.frames_to("eni-a")
    assert Ether(frame)[UDP].chksum == 0 and ipv4_header_ok(frame)


def test_ipv6_is_routed_without_translation(cloud: Cloud) -> None:
    journey = _inbound(cloud, src="2001:db8:ffff::7", dst="2001:db8:1234:1a01::10")
    frame, = journey.frames_to("eni-a")
    assert Ether(frame)[IPv6].src == "2001:db8:ffff::7" and l4_checksum_ok(frame)
    out = send(cloud, src_eni="eni-a", dst="2001:db8:ffff::7", proto="tcp", sport=443,
               dport=50000, flags="SA")
    frame, = out.frames_to("internet")
    assert Ether(frame)[IPv6].src == "2001:db8:1234:1a01::10"


def test_unknown_public_address_has_no_destination(cloud: Cloud) -> None:
    journey = _inbound(cloud, dst="54.0.0.99")
    assert journey.result == "dropped" and journey.drop.stage == "no_destination"
    assert cloud.edge.counters.of("engine")["drop.no_destination.unknown_public_ip"] == 1


def test_sender_without_public_address_cannot_use_the_igw(cloud: Cloud) -> None:
    journey = send(cloud, src_eni="eni-b", dst=CLIENT, proto="tcp", sport=40000, dport=443,
                   flags="S")
    assert journey.result == "dropped" and journey.drop.stage == "no_transit"
    assert journey.frames_to("internet") == []


def test_receiver_sg_refuses_unlisted_ports_from_the_internet_ord_r5(cloud: Cloud) -> None:
    journey = _inbound(cloud, dport=22)
    assert journey.result == "dropped"
    assert (journey.drop.stage, journey.drop.eni_id) == ("dst_sg_ingress", "eni-a")


def test_receiver_subnet_nacl_guards_gateway_traffic_ord_r5(
        build_t1: Callable[..., Config]) -> None:
    nacl = {"nacls": [{"id": "acl-1", "vpc": "vpc-a",
                       "ingress": [{"n": 10, "action": "deny", "proto": "all",
                                    "cidr": "198.51.100.0/24"},
                                   {"n": 20, "action": "allow", "proto": "all",
                                    "cidr": "0.0.0.0/0"}],
                       "egress": [{"n": 20, "action": "allow", "proto": "all",
                                   "cidr": "0.0.0.0/0"}]}],
            "subnets": [{"id": "subnet-1", "nacl": "acl-1"}]}
    cloud = make_cloud(build_t1({**IGW, **nacl}))
    journey = _inbound(cloud)
    assert journey.result == "dropped" and journey.drop.stage == "dst_nacl_ingress"
    assert _inbound(cloud, src="203.0.113.9").to == "eni-a"


def test_reply_to_an_outbound_connection_is_admitted_by_tracking_sg_r18(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**IGW, "security_groups": [{"id": "sg-a", "ingress": []}]}))
    out = send(cloud, src_eni="eni-a", dst=CLIENT, proto="tcp", sport=40000, dport=443,
               flags="S")
    assert out.frames_to("internet")
    back = _inbound(cloud, sport=443, dport=40000, flags="SA")
    assert back.to == "eni-a"
    other = _inbound(cloud, sport=443, dport=40001, flags="SA")
    assert other.result == "dropped" and other.drop.stage == "dst_sg_ingress"


def test_hairpin_through_the_igw_loses_sg_membership_sg_r9(
        build_t1: Callable[..., Config]) -> None:
    """A member's public address is not one of its private addresses (SG-011)."""
    patch = {**IGW, "enis": [{"id": "eni-a", "public_ip": PUBLIC},
                             {"id": "eni-b", "public_ip": "54.0.0.20"}],
             "security_groups": [{"id": "sg-b", "ingress": [
                 {"proto": "tcp", "ports": "80", "peer": "sg-a"}]}]}
    cloud = make_cloud(build_t1(patch))
    syn = dict(src_eni="eni-a", proto="tcp", sport=40000, dport=80, flags="S")
    assert send(cloud, dst="10.0.1.20", **syn).to == "eni-b"
    hairpin = send(cloud, dst="54.0.0.20", **syn)
    assert hairpin.result == "dropped" and hairpin.drop.stage == "dst_sg_ingress"
    by_cidr = make_cloud(build_t1({**patch, "security_groups": [{"id": "sg-b", "ingress": [
        {"proto": "tcp", "ports": "80", "peer": f"{PUBLIC}/32"}]}]}))
    frame, = send(by_cidr, dst="54.0.0.20", **syn).frames_to("eni-b")
    packet = Ether(frame)
    assert (packet[IP].src, packet[IP].dst) == (PUBLIC, "10.0.1.20")
    assert ipv4_header_ok(frame) and l4_checksum_ok(frame)


def test_fragmented_inbound_datagram_is_translated_and_reassembles(cloud: Cloud) -> None:
    frames = frames_for(cloud, src_eni="internet", src=CLIENT, dst=PUBLIC, proto="tcp",
                        sport=50000, dport=443, flags="PA", length=3000, fragment_size=1400,
                        ip_id=99)
    assert len(frames) == 3
    delivered = []
    for frame in frames:
        journey = cloud.send_from_internet(frame)
        assert journey.to == "eni-a"
        delivered += journey.frames_to("eni-a")
    assert all(ipv4_header_ok(f) for f in delivered)
    pieces = [IP(bytes(Ether(f)[IP])[:Ether(f)[IP].len]) for f in delivered]
    whole, = defrag(pieces)[1]
    whole = IP(bytes(whole))
    assert (whole.src, whole.dst, whole.len) == (CLIENT, "10.0.1.10", 3000)
    checksum_on_wire = whole[TCP].chksum
    del whole[TCP].chksum
    assert IP(bytes(whole))[TCP].chksum == checksum_on_wire
