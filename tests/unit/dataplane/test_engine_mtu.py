"""MTU (MTU-R1): 9001 inside the VPC, 1500 through the internet gateway. DF/IPv6 packets
over the path MTU are dropped at `mtu_exceeded` with ICMP 3/4 or ICMPv6 packet-too-big back
to the sender; other IPv4 packets are fragmented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from scapy.layers.inet import ICMP, IP, TCP, IPerror, defrag
from scapy.layers.inet6 import ICMPv6PacketTooBig, IPv6
from scapy.layers.l2 import Ether

from dp_support import frames_for, ipv4_header_ok, l4_checksum_ok, make_cloud, send
from smartnic.model import Config
from smartnic.net.cloud import Cloud

IGW: dict[str, Any] = {
    "igws": [{"id": "igw-1", "vpc": "vpc-a"}],
    "route_tables": [{"id": "rtb-main", "routes": [{"dst": "0.0.0.0/0", "target": "igw-1"},
                                                   {"dst": "::/0", "target": "igw-1"}]}],
    "enis": [{"id": "eni-a", "public_ip": "54.0.0.10"}],
    "security_groups": [{"id": "sg-c", "ingress": [{"proto": "tcp", "ports": "80",
                                                    "peer": "10.0.0.0/16"}]}],
}


@pytest.fixture
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1(IGW))


def _to_internet(**extra: Any) -> dict[str, Any]:
    return dict(src_eni="eni-a", dst="198.51.100.7", proto="tcp", sport=40000, dport=443,
                flags="S", length=2000) | extra


def test_jumbo_frame_is_delivered_inside_the_vpc_mtu_r1(cloud: Cloud) -> None:
    journey = send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000,
                   dport=80, flags="S", length=9001, df=True)
    assert journey.to == "eni-c"
    frame, = journey.frames_to("eni-c")
    assert len(frame) == 14 + 9001


def test_df_packet_over_the_igw_is_dropped_with_icmp_frag_needed_mtu_r1(cloud: Cloud) -> None:
    journey = send(cloud, **_to_internet(df=True))
    assert journey.result == "dropped"
    assert (journey.drop.stage, journey.drop.eni_id) == ("mtu_exceeded", "eni-a")
    assert journey.frames_to("internet") == []
    error, = journey.frames_to("eni-a")
    packet = Ether(error)
    assert packet.src == ":".join(f"{b:02x}" for b in cloud.program.vpcs["vpc-a"].router_mac)
    assert packet[IP].src == "10.0.1.1" and packet[IP].dst == "10.0.1.10"
    assert (packet[ICMP].type, packet[ICMP].code, packet[ICMP].nexthopmtu) == (3, 4, 1500)
    quoted = packet[IPerror]
    assert (quoted.src, quoted.dst, quoted.len) == ("10.0.1.10", "198.51.100.7", 2000)
    assert ipv4_header_ok(error) and l4_checksum_ok(error)
    counters = cloud.eni_counters("eni-a")
    assert counters["drop.mtu_exceeded.df_set"] == 1


def test_ipv6_packet_over_the_igw_gets_packet_too_big_mtu_r1(cloud: Cloud) -> None:
    journey = send(cloud, **_to_internet(dst="2001:db8:ffff::7"))
    assert journey.result == "dropped" and journey.drop.stage == "mtu_exceeded"
    assert journey.frames_to("internet") == []
    error, = journey.frames_to("eni-a")
    packet = Ether(error)
    assert packet[IPv6].dst == "2001:db8:1234:1a01::10"
    assert packet[ICMPv6PacketTooBig].mtu == 1500
    assert len(packet[IPv6]) <= 1280  # the error fits the IPv6 minimum MTU (RFC 4443)
    assert l4_checksum_ok(error)
    assert cloud.eni_counters("eni-a")["drop.mtu_exceeded.packet_too_big"] == 1


def test_ipv4_without_df_is_fragmented_to_1500_mtu_r1(cloud: Cloud) -> None:
    original, = frames_for(cloud, **_to_internet(df=False))
    journey = send(cloud, **_to_internet(df=False))
    pieces = [Ether(f) for f in journey.frames_to("internet")]
    assert len(pieces) == 2
    assert all(p[IP].len <= 1500 for p in pieces)
    assert all(ipv4_header_ok(f) for f in journey.frames_to("internet"))
    assert [p[IP].flags.MF for p in pieces] == [1, 0]
    whole, = defrag([IP(bytes(p[IP])[:p[IP].len]) for p in pieces])[1]  # [1]: reassembled
    whole = IP(bytes(whole))
    assert whole.src == "54.0.0.10" and whole.len == 2000  # 1:1 NAT of the IGW
    tcp_checksum = whole[TCP].chksum
    del whole[TCP].chksum
    assert IP(bytes(whole))[TCP].chksum == tcp_checksum
    assert bytes(whole[TCP].payload) == bytes(Ether(original)[TCP].payload)


def test_smaller_receiver_mtu_limits_the_path(build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**IGW, "enis": [*IGW["enis"], {"id": "eni-c", "mtu": 1500}]}))
    journey = send(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000,
                   dport=80, flags="S", length=4000, df=True)
    assert journey.result == "dropped" and journey.drop.stage == "mtu_exceeded"
    error, = journey.frames_to("eni-a")
    assert Ether(error)[ICMP].nexthopmtu == 1500


def test_fragment_bytes_are_accounted_as_ip_bytes(build_t1: Callable[..., Config]) -> None:
    patch = {**IGW, "flow_logs": [{"id": "fl-a", "resource": "eni-a", "traffic": "ALL",
                                   "interval": 60}]}
    cloud = make_cloud(build_t1(patch))
    journey = send(cloud, src_eni="eni-a", dst="198.51.100.7", proto="udp", sport=40000,
                   dport=443, length=1508, df=False)  # 1480 + 8 data bytes: a tiny last piece
    sizes = [Ether(f)[IP].len for f in journey.frames_to("internet")]
    assert sizes == [1500, 28]
    entry, = cloud.hosts["host-1"].ctx.conntrack.entries("eni-a")
    record, = [r for r in cloud.flow_log_records() if r.direction == "egress"]
    assert (entry.bytes_orig, record.values["bytes"]) == (1528, "1528")
