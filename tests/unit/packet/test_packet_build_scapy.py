"""Frames from our builders are byte-identical to scapy's (which computes its own checksums)."""

from __future__ import annotations

import pytest
from packet_corpus import MAC_A, MAC_B, padded
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Packet as ScapyPacket
from scapy.packet import Raw

from smartnic.packet import (
    build_arp,
    build_frame,
    build_neighbor_advertisement,
    build_neighbor_solicitation,
    ip_to_int,
    parse_frame,
)

A4, B4 = ip_to_int("10.1.0.1")[1], ip_to_int("10.1.0.2")[1]
A6, B6 = ip_to_int("2001:db8::1")[1], ip_to_int("2001:db8::2")[1]


def ours(**fields: object) -> bytes:
    return build_frame(eth_src=MAC_A, eth_dst=MAC_B, **fields)  # type: ignore[arg-type]


def ether(vlan_id: int | None = None) -> ScapyPacket:
    link = Ether(src=MAC_A, dst=MAC_B)
    return link / Dot1Q(vlan=vlan_id) if vlan_id is not None else link


CASES = [
    (
        "ipv4_tcp_syn",
        dict(
            ip_version=4, src_ip=A4, dst_ip=B4, proto=6, sport=1234, dport=80, tcp_flags=0x02, seq=7
        ),
        ether()
        / IP(src="10.1.0.1", dst="10.1.0.2", id=0)
        / TCP(sport=1234, dport=80, flags="S", seq=7, window=65535),
    ),
    (
        "ipv4_tcp_data_df_vlan",
        dict(
            ip_version=4,
            src_ip=A4,
            dst_ip=B4,
            proto=6,
            sport=1,
            dport=2,
            tcp_flags=0x18,
            seq=1,
            ack=2,
            payload=b"x" * 301,
            df=True,
            ip_id=9,
            ttl=5,
            vlan_id=10,
        ),
        ether(10)
        / IP(src="10.1.0.1", dst="10.1.0.2", id=9, ttl=5, flags="DF")
        / TCP(sport=1, dport=2, flags="PA", seq=1, ack=2, window=65535)
        / (b"x" * 301),
    ),
    (
        "ipv4_udp",
        dict(ip_version=4, src_ip=A4, dst_ip=B4, proto=17, sport=53, dport=5353, payload=b"answer"),
        ether() / IP(src="10.1.0.1", dst="10.1.0.2", id=0) / UDP(sport=53, dport=5353) / b"answer",
    ),
    (
        "ipv4_udp_long",
        dict(
            ip_version=4,
            src_ip=A4,
            dst_ip=B4,
            proto=17,
            sport=1,
            dport=2,
            payload=bytes(range(256)) * 8,
        ),
        ether()
        / IP(src="10.1.0.1", dst="10.1.0.2", id=0)
        / UDP(sport=1, dport=2)
        / (bytes(range(256)) * 8),
    ),
    (
        "ipv4_icmp_echo",
        dict(
            ip_version=4,
            src_ip=A4,
            dst_ip=B4,
            proto=1,
            icmp_type=8,
            icmp_id=5,
            icmp_seq=6,
            payload=b"abc",
        ),
        ether() / IP(src="10.1.0.1", dst="10.1.0.2", id=0) / ICMP(type=8, id=5, seq=6) / b"abc",
    ),
    (
        "ipv4_raw_gre",
        dict(ip_version=4, src_ip=A4, dst_ip=B4, proto=47, payload=b"\x00\x00\x08\x00"),
        ether() / IP(src="10.1.0.1", dst="10.1.0.2", id=0, proto=47) / Raw(b"\x00\x00\x08\x00"),
    ),
    (
        "ipv6_tcp",
        dict(
            ip_version=6, src_ip=A6, dst_ip=B6, proto=6, sport=5, dport=443, tcp_flags=0x12, ack=99
        ),
        ether()
        / IPv6(src="2001:db8::1", dst="2001:db8::2")
        / TCP(sport=5, dport=443, flags="SA", ack=99, window=65535),
    ),
    (
        "ipv6_udp_vlan",
        dict(
            ip_version=6,
            src_ip=A6,
            dst_ip=B6,
            proto=17,
            sport=9,
            dport=10,
            payload=b"v6",
            vlan_id=4000,
            ttl=3,
        ),
        ether(4000)
        / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=3)
        / UDP(sport=9, dport=10)
        / b"v6",
    ),
    (
        "ipv6_echo",
        dict(
            ip_version=6,
            src_ip=A6,
            dst_ip=B6,
            proto=58,
            icmp_type=128,
            icmp_id=3,
            icmp_seq=4,
            payload=b"p",
        ),
        ether()
        / IPv6(src="2001:db8::1", dst="2001:db8::2")
        / ICMPv6EchoRequest(id=3, seq=4, data=b"p"),
    ),
    (
        "ipv6_raw_esp",
        dict(ip_version=6, src_ip=A6, dst_ip=B6, proto=50, payload=b"\x00\x00\x00\x01" * 4),
        ether() / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=50) / Raw(b"\x00\x00\x00\x01" * 4),
    ),
]


@pytest.mark.parametrize(("name", "fields", "scapy_frame"), CASES, ids=[c[0] for c in CASES])
def test_build_frame_matches_scapy(
    name: str, fields: dict[str, object], scapy_frame: ScapyPacket
) -> None:
    assert ours(**fields) == padded(scapy_frame)


@pytest.mark.parametrize(("name", "fields", "scapy_frame"), CASES, ids=[c[0] for c in CASES])
def test_scapy_reads_our_fields_and_accepts_checksums(
    name: str, fields: dict[str, object], scapy_frame: ScapyPacket
) -> None:
    frame = ours(**fields)
    dissected = Ether(frame)
    rebuilt = Ether(frame)
    for layer in (IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest):
        if layer in rebuilt:
            for field in ("chksum", "cksum", "len", "plen"):
                if field in rebuilt[layer].fields:
                    del rebuilt[layer].fields[field]
    assert bytes(rebuilt) == bytes(dissected)
    packet = parse_frame(frame)
    assert (packet.sport, packet.dport) == (fields.get("sport", 0), fields.get("dport", 0))


def test_ip_total_length_pads_payload() -> None:
    frame = ours(
        ip_version=4,
        src_ip=A4,
        dst_ip=B4,
        proto=17,
        sport=1,
        dport=2,
        payload=b"ab",
        ip_total_length=100,
    )
    packet = parse_frame(frame)
    assert packet.ip_total_length == 100
    assert Ether(frame)[UDP].len == 80
    frame6 = ours(ip_version=6, src_ip=A6, dst_ip=B6, proto=6, ip_total_length=1280)
    assert parse_frame(frame6).ip_total_length == 1280
    with pytest.raises(ValueError):
        ours(ip_version=4, src_ip=A4, dst_ip=B4, proto=6, ip_total_length=30)
    with pytest.raises(ValueError):
        ours(ip_version=5, src_ip=A4, dst_ip=B4, proto=6)


def test_short_frames_are_padded_to_60_bytes() -> None:
    assert len(ours(ip_version=4, src_ip=A4, dst_ip=B4, proto=17)) == 60


def test_arp_matches_scapy() -> None:
    frame = build_arp(
        op=1,
        sender_mac=MAC_A,
        sender_ip=A4,
        target_mac=b"\x00" * 6,
        target_ip=B4,
        eth_dst="ff:ff:ff:ff:ff:ff",
    )
    expected = Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=MAC_A, psrc="10.1.0.1", hwdst="00:00:00:00:00:00", pdst="10.1.0.2"
    )
    assert frame == padded(expected)
    arp = parse_frame(frame).arp
    assert arp is not None and (arp.op, arp.sender_ip, arp.target_ip) == (1, A4, B4)


def test_neighbor_solicitation_matches_scapy() -> None:
    target = ip_to_int("2001:db8::12:3456")[1]
    frame = build_neighbor_solicitation(src_mac=MAC_A, src_ip=A6, target_ip=target)
    expected = (
        Ether(src=MAC_A, dst="33:33:ff:12:34:56")
        / IPv6(src="2001:db8::1", dst="ff02::1:ff12:3456", hlim=255)
        / ICMPv6ND_NS(tgt="2001:db8::12:3456")
        / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A)
    )
    assert frame == padded(expected)
    packet = parse_frame(frame)
    assert (packet.nd_target, packet.nd_link_addr, packet.icmp_type) == (
        target,
        bytes.fromhex("02000000000a"),
        135,
    )


def test_duplicate_address_detection_carries_no_link_address() -> None:
    frame = build_neighbor_solicitation(src_mac=MAC_A, src_ip=0, target_ip=A6)
    assert ICMPv6NDOptSrcLLAddr not in Ether(frame)
    assert parse_frame(frame).nd_link_addr is None


def test_neighbor_advertisement_matches_scapy() -> None:
    frame = build_neighbor_advertisement(
        src_mac=MAC_B,
        dst_mac=MAC_A,
        src_ip=B6,
        dst_ip=A6,
        target_ip=B6,
        target_mac=MAC_B,
        router=True,
        solicited=True,
    )
    expected = (
        Ether(src=MAC_B, dst=MAC_A)
        / IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=255)
        / ICMPv6ND_NA(tgt="2001:db8::2", R=1, S=1, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=MAC_B)
    )
    assert frame == padded(expected)
    packet = parse_frame(frame)
    assert (packet.nd_target, packet.nd_link_addr) == (B6, bytes.fromhex("02000000000b"))
