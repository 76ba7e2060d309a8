"""ICMP errors and echo replies built by the data plane, checked against scapy."""

from __future__ import annotations

import pytest
from packet_corpus import MAC_A, MAC_B, eth, padded
from scapy.layers.inet import ICMP, IP, UDP, IPerror
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6PacketTooBig, IPv6
from scapy.layers.l2 import Dot1Q, Ether

from smartnic.packet import (
    build_frame,
    build_icmp_echo_reply,
    build_icmp_frag_needed,
    build_icmpv6_echo_reply,
    build_icmpv6_packet_too_big,
    ip_to_int,
    parse_frame,
)

ROUTER_MAC = "02:00:00:00:00:fe"


def test_frag_needed_matches_scapy() -> None:
    original = padded(
        eth()
        / Dot1Q(vlan=3)
        / IP(src="10.0.0.1", dst="10.9.9.9", flags="DF", id=4)
        / UDP(sport=1000, dport=2000)
        / bytes(1400)
    )
    router_ip = ip_to_int("10.0.0.254")[1]
    reply = build_icmp_frag_needed(
        original, 1400, src_mac=ROUTER_MAC, dst_mac=MAC_A, router_ip=router_ip
    )
    quote = bytes(Ether(original)[IP])[:28]
    expected = (
        Ether(src=ROUTER_MAC, dst=MAC_A)
        / Dot1Q(vlan=3)
        / IP(src="10.0.0.254", dst="10.0.0.1", id=0)
        / ICMP(type=3, code=4, nexthopmtu=1400)
        / quote
    )
    assert reply == padded(expected)
    packet = parse_frame(reply)
    assert (packet.icmp_type, packet.icmp_code, packet.dst_ip) == (3, 4, ip_to_int("10.0.0.1")[1])
    assert Ether(reply)[IPerror].dst == "10.9.9.9"


def test_packet_too_big_quotes_up_to_the_minimum_mtu() -> None:
    original = padded(
        eth() / IPv6(src="2001:db8::1", dst="2001:db8::9") / UDP(sport=1, dport=2) / bytes(3000)
    )
    router_ip = ip_to_int("2001:db8::fe")[1]
    reply = build_icmpv6_packet_too_big(
        original, 1500, src_mac=ROUTER_MAC, dst_mac=MAC_A, router_ip=router_ip
    )
    quote = bytes(Ether(original)[IPv6])[: 1280 - 48]
    expected = (
        Ether(src=ROUTER_MAC, dst=MAC_A)
        / IPv6(src="2001:db8::fe", dst="2001:db8::1")
        / ICMPv6PacketTooBig(mtu=1500)
        / quote
    )
    assert reply == padded(expected)
    assert parse_frame(reply).ip_total_length == 1280


def test_packet_too_big_for_a_small_original_quotes_all_of_it() -> None:
    original = padded(eth() / IPv6(src="::1", dst="::2") / UDP(sport=1, dport=2) / b"x")
    reply = build_icmpv6_packet_too_big(
        original, 1280, src_mac=ROUTER_MAC, dst_mac=MAC_A, router_ip=3
    )
    assert parse_frame(reply).ip_total_length == 40 + 8 + 49


def test_error_builders_reject_the_wrong_family() -> None:
    v4 = padded(eth() / IP() / UDP())
    v6 = padded(eth() / IPv6() / UDP())
    with pytest.raises(ValueError):
        build_icmp_frag_needed(v6, 1400, src_mac=MAC_A, dst_mac=MAC_B, router_ip=1)
    with pytest.raises(ValueError):
        build_icmpv6_packet_too_big(v4, 1400, src_mac=MAC_A, dst_mac=MAC_B, router_ip=1)
    with pytest.raises(ValueError):
        build_icmp_frag_needed(v4, 70000, src_mac=MAC_A, dst_mac=MAC_B, router_ip=1)


def test_icmp_echo_reply() -> None:
    request = build_frame(
        eth_src=MAC_A,
        eth_dst=MAC_B,
        ip_version=4,
        src_ip=1,
        dst_ip=2,
        proto=1,
        icmp_type=8,
        icmp_id=0x42,
        icmp_seq=7,
        payload=b"ping-data",
        vlan_id=5,
    )
    reply = Ether(build_icmp_echo_reply(request))
    assert (reply.src, reply.dst, reply[Dot1Q].vlan) == (MAC_B, MAC_A, 5)
    assert (reply[IP].src, reply[IP].dst) == ("0.0.0.2", "0.0.0.1")
    assert (reply[ICMP].type, reply[ICMP].id, reply[ICMP].seq) == (0, 0x42, 7)
    assert bytes(reply[ICMP].payload)[:9] == b"ping-data"
    parse_frame(bytes(reply))  # checksums valid


def test_icmpv6_echo_reply() -> None:
    request = padded(
        eth()
        / IPv6(src="2001:db8::1", dst="2001:db8::2")
        / ICMPv6EchoRequest(id=9, seq=8, data=b"six")
    )
    reply = Ether(build_icmpv6_echo_reply(request))
    assert (reply[IPv6].src, reply[IPv6].dst) == ("2001:db8::2", "2001:db8::1")
    assert (reply[ICMPv6EchoReply].id, reply[ICMPv6EchoReply].seq, reply[ICMPv6EchoReply].data) == (
        9,
        8,
        b"six",
    )
    parse_frame(bytes(reply))


def test_echo_reply_rejects_other_packets() -> None:
    udp = padded(eth() / IP() / UDP())
    with pytest.raises(ValueError):
        build_icmp_echo_reply(udp)
    echo_reply = padded(eth() / IP() / ICMP(type=0))
    with pytest.raises(ValueError):
        build_icmp_echo_reply(echo_reply)
    v4_request = padded(eth() / IP() / ICMP(type=8))
    with pytest.raises(ValueError):
        build_icmpv6_echo_reply(v4_request)
