"""Frames built by scapy parse to the fields scapy itself reads from them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packet_corpus import all_frames, arp_frames, eth, padded
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Packet as ScapyPacket

from smartnic.packet import Packet, parse_frame

IP_LAYERS = (IP, IPv6)


def ip_int(text: str) -> int:
    return int(ipaddress.ip_address(text))


def expected_fields(frame: bytes) -> dict[str, object]:
    """The Packet columns as scapy reads them from `frame`."""
    dissected = Ether(frame)
    fields: dict[str, object] = {
        "eth_dst": bytes.fromhex(dissected.dst.replace(":", "")),
        "eth_src": bytes.fromhex(dissected.src.replace(":", "")),
        "vlan_id": dissected[Dot1Q].vlan if Dot1Q in dissected else None,
    }
    network = dissected[Dot1Q].payload if Dot1Q in dissected else dissected.payload
    if isinstance(network, IP):
        ip = network
        fields.update(
            ip_version=4,
            src_ip=ip_int(ip.src),
            dst_ip=ip_int(ip.dst),
            proto=ip.proto,
            ttl=ip.ttl,
            ip_total_length=ip.len,
            ip_id=ip.id,
            df=bool(ip.flags.DF),
            more_fragments=bool(ip.flags.MF),
            fragment_offset=ip.frag * 8,
        )
    elif isinstance(network, IPv6):
        ip6 = network
        fields.update(
            ip_version=6,
            src_ip=ip_int(ip6.src),
            dst_ip=ip_int(ip6.dst),
            ttl=ip6.hlim,
            ip_total_length=40 + ip6.plen,
        )
        if IPv6ExtHdrFragment in dissected:
            fragment = dissected[IPv6ExtHdrFragment]
            fields.update(
                ip_id=fragment.id,
                more_fragments=bool(fragment.m),
                fragment_offset=fragment.offset * 8,
            )
    first_fragment_or_whole = fields.get("fragment_offset", 0) == 0
    for layer in (TCP, UDP):
        if layer in dissected and first_fragment_or_whole:
            fields.update(sport=dissected[layer].sport, dport=dissected[layer].dport)
    if TCP in dissected and first_fragment_or_whole:
        fields["tcp_flags"] = int(dissected[TCP].flags)
    if ICMP in dissected:
        fields.update(icmp_type=dissected[ICMP].type, icmp_code=dissected[ICMP].code)
    return fields


def assert_matches_scapy(packet: Packet, frame: bytes) -> None:
    for name, value in expected_fields(frame).items():
        assert getattr(packet, name) == value, name


@pytest.mark.parametrize("name", sorted(all_frames()))
def test_corpus_frames_match_scapy(name: str) -> None:
    frame = all_frames()[name]
    assert_matches_scapy(parse_frame(frame), frame)


@pytest.mark.parametrize("name", sorted(arp_frames()))
def test_arp_frames(name: str) -> None:
    frame = arp_frames()[name]
    packet = parse_frame(frame)
    assert packet.arp is not None and packet.ip_version == 0
    assert packet.arp.op == Ether(frame)[ARP].op


def test_ipv6_extension_headers_are_walked() -> None:
    frame = all_frames()["ipv6_ext_headers"]
    packet = parse_frame(frame)
    udp_offset = len(bytes(Ether(frame))) - len(bytes(Ether(frame)[UDP]))
    assert (packet.proto, packet.l4_offset, packet.sport, packet.dport) == (17, udp_offset, 11, 12)


def test_routing_header_final_destination_is_used_for_the_checksum() -> None:
    frame = padded(
        eth()
        / IPv6(src="2001:db8::1", dst="2001:db8::2")
        / IPv6ExtHdrRouting(addresses=["2001:db8::3", "2001:db8::4"])
        / TCP(sport=1, dport=2)
    )
    assert parse_frame(frame).dport == 2  # checksum verified against 2001:db8::4


def test_segment_routing_final_destination_is_the_first_segment() -> None:
    segments = ["2001:db8::f", "2001:db8::e", "2001:db8::a"]
    frame = padded(
        eth()
        / IPv6(src="2001:db8::1", dst="2001:db8::a")
        / IPv6ExtHdrSegmentRouting(addresses=segments, segleft=2)
        / UDP(sport=1, dport=2)
        / b"x"
    )
    assert parse_frame(frame).dport == 2  # checksum verified against 2001:db8::f


def test_buffer_types_are_accepted() -> None:
    frame = all_frames()["ipv6_tcp"]
    expected = parse_frame(frame)
    assert parse_frame(bytearray(frame)) == expected
    assert parse_frame(memoryview(frame)) == expected


def test_icmpv6_echo_identifier() -> None:
    frame = padded(eth() / IPv6(src="::1", dst="::2") / ICMPv6EchoRequest(id=0xBEEF, seq=9))
    packet = parse_frame(frame)
    assert (packet.icmp_type, packet.icmp_id, packet.sport, packet.dport) == (128, 0xBEEF, 0, 0)


def test_ipv4_icmp_error_has_no_identifier() -> None:
    frame = padded(
        eth() / IP(src="1.1.1.1", dst="2.2.2.2") / ICMP(type=3, code=4, nexthopmtu=1400) / bytes(28)
    )
    packet = parse_frame(frame)
    assert (packet.icmp_type, packet.icmp_code, packet.icmp_id) == (3, 4, 0)


def test_trailing_padding_beyond_ip_length_is_ignored() -> None:
    frame = bytes(eth() / IP(src="1.1.1.1", dst="2.2.2.2") / UDP(sport=1, dport=2)) + b"\xee" * 40
    assert parse_frame(frame).ip_total_length == 28


def test_checksums_can_be_skipped() -> None:
    frame = bytearray(all_frames()["ipv4_udp"])
    frame[24] ^= 0xFF  # IPv4 header checksum
    assert parse_frame(bytes(frame), verify_checksums=False).dport == 53


tcp_flags = st.integers(0, 255)
ports = st.integers(0, 65535)
payloads = st.binary(max_size=64)
hosts4 = st.sampled_from(["10.0.0.1", "192.168.3.4", "255.255.255.255", "0.0.0.0"])
hosts6 = st.sampled_from(["::1", "2001:db8::1", "fe80::1:2", "ff02::1"])


ROUTING_HEADERS = [
    IPv6ExtHdrRouting,
    lambda: IPv6ExtHdrRouting(addresses=["2001:db8::99", "2001:db8::98"]),
    lambda: IPv6ExtHdrSegmentRouting(addresses=["2001:db8::97", "2001:db8::96"], segleft=1),
]


@st.composite
def scapy_frames(draw: st.DrawFn) -> bytes:
    link = eth() / Dot1Q(vlan=draw(st.integers(0, 4095))) if draw(st.booleans()) else eth()
    if draw(st.booleans()):
        network: ScapyPacket = IP(
            src=draw(hosts4),
            dst=draw(hosts4),
            ttl=draw(st.integers(1, 255)),
            id=draw(st.integers(0, 65535)),
            flags=draw(st.sampled_from(["", "DF"])),
        )
    else:
        network = IPv6(src=draw(hosts6), dst=draw(hosts6), hlim=draw(st.integers(0, 255)))
        extensions: list[Callable[[], ScapyPacket]] = []
        if draw(st.booleans()):
            extensions.append(IPv6ExtHdrHopByHop)
        if draw(st.booleans()):
            extensions.append(IPv6ExtHdrDestOpt)
        extensions += draw(st.lists(st.sampled_from(ROUTING_HEADERS), max_size=1))
        for make_extension in extensions:
            network = network / make_extension()
    transport = draw(st.sampled_from(["tcp", "udp"]))
    segment: ScapyPacket
    if transport == "tcp":
        segment = TCP(
            sport=draw(ports),
            dport=draw(ports),
            flags=draw(tcp_flags),
            seq=draw(st.integers(0, 2**32 - 1)),
        )
    else:
        segment = UDP(sport=draw(ports), dport=draw(ports))
    return padded(link / network / segment / draw(payloads))


@settings(max_examples=150, deadline=None)
@given(scapy_frames())
def test_random_scapy_frames_match(frame: bytes) -> None:
    assert_matches_scapy(parse_frame(frame), frame)
