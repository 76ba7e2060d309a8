"""Every way a frame can be malformed yields MalformedPacket with the right named reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from packet_corpus import all_frames, eth, overlay_frames, padded
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6ND_NS,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.l2 import ARP, Dot1Q
from scapy.packet import Raw

from smartnic.packet import ALL_REASONS, MalformedPacket, decapsulate, parse_frame
from smartnic.packet.checksum import l4_checksum
from smartnic.packet.errors import MalformedPacket as ErrorsMalformed
from smartnic.packet.ipv4 import Ipv4

L3_TRUNCATION = {0x0800: "truncated_ipv4", 0x86DD: "truncated_ipv6", 0x0806: "truncated_arp"}


def reason_of(frame: bytes, decoder: Callable[[bytes], object] = parse_frame) -> str:
    with pytest.raises(MalformedPacket) as caught:
        decoder(frame)
    return caught.value.reason


def needed_bytes(frame: bytes) -> tuple[int, int, int]:
    """(L3 offset, ethertype, bytes the parser needs) of a valid frame."""
    packet = parse_frame(frame)
    l3_bytes = 28 if packet.arp is not None else packet.ip_total_length
    return packet.l3_offset, packet.ethertype, packet.l3_offset + l3_bytes


@pytest.mark.parametrize("name", sorted(all_frames()))
def test_every_cut_of_a_valid_frame_is_named(name: str) -> None:
    frame = all_frames()[name]
    l3_offset, ethertype, needed = needed_bytes(frame)
    for cut in range(needed):
        reason = reason_of(frame[:cut])
        if cut < 14:
            assert reason == "truncated_ethernet"
        elif cut < l3_offset:
            assert reason == "truncated_vlan"
        else:
            assert reason == L3_TRUNCATION[ethertype], cut
    for cut in range(needed, len(frame) + 1):
        parse_frame(frame[:cut])  # only Ethernet padding is missing


@pytest.mark.parametrize("name", sorted(overlay_frames()))
def test_every_cut_of_an_overlay_frame_is_named(name: str) -> None:
    frame = overlay_frames()[name]
    for cut in range(len(frame)):
        assert reason_of(frame[:cut], decapsulate) in ALL_REASONS


L4_CASES = [
    (IP(src="1.1.1.1", dst="2.2.2.2", proto=6), 20, "truncated_tcp"),
    (IP(src="1.1.1.1", dst="2.2.2.2", proto=17), 8, "truncated_udp"),
    (IP(src="1.1.1.1", dst="2.2.2.2", proto=1), 8, "truncated_icmp"),
    (IPv6(src="::1", dst="::2", nh=6), 20, "truncated_tcp"),
    (IPv6(src="::1", dst="::2", nh=17), 8, "truncated_udp"),
    (IPv6(src="::1", dst="::2", nh=58), 8, "truncated_icmpv6"),
]


@pytest.mark.parametrize(("network", "header_bytes", "reason"), L4_CASES)
def test_short_transport_headers_inside_consistent_ip(
    network: object, header_bytes: int, reason: str
) -> None:
    for length in range(header_bytes):
        frame = padded(eth() / network / Raw(b"\x50" * length))
        assert reason_of(frame) == reason, length


def test_short_nd_bodies() -> None:
    src, dst = 0xFE80 << 112 | 2, 0xFF02 << 112 | 1
    full = bytes(ICMPv6ND_NS(tgt="fe80::1", cksum=0))
    for length in range(8, len(full)):
        segment = full[:length]
        checksum = l4_checksum(6, src, dst, 58, segment).to_bytes(2, "big")
        segment = segment[:2] + checksum + segment[4:]
        frame = padded(eth() / IPv6(src="fe80::2", dst="ff02::1", nh=58) / Raw(segment))
        assert reason_of(frame) == "truncated_icmpv6", length


def raw_ipv4_with_options(options: bytes) -> bytes:
    header = Ipv4(1, 2, 17, 20 + len(options) + 8, options=options).pack()
    return padded(eth(type=0x0800) / Raw(header + bytes(UDP(sport=1, dport=2, chksum=0))))


def ipv4_fragment_overrunning() -> bytes:
    return padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", frag=8191, proto=17) / bytes(16))


VXLAN_OUTER = eth() / IP(src="1.1.1.1", dst="2.2.2.2") / UDP(sport=1, dport=4789, chksum=0)
GENEVE_OUTER = eth() / IP(src="1.1.1.1", dst="2.2.2.2") / UDP(sport=1, dport=6081, chksum=0)
INNER = bytes(eth() / IP() / UDP())

REASON_EXAMPLES: list[tuple[str, Callable[[], bytes], Callable[[bytes], object]]] = [
    ("truncated_ethernet", lambda: bytes(10), parse_frame),
    ("truncated_vlan", lambda: bytes(12) + b"\x81\x00\x00", parse_frame),
    ("truncated_arp", lambda: bytes(eth() / ARP())[:30], parse_frame),
    ("bad_arp", lambda: padded(eth() / ARP(hwtype=6)), parse_frame),
    ("bad_arp", lambda: padded(eth() / ARP(op=3)), parse_frame),
    ("truncated_ipv4", lambda: bytes(eth() / IP() / UDP())[:40], parse_frame),
    ("bad_ipv4_version", lambda: padded(eth(type=0x0800) / IPv6()), parse_frame),
    ("bad_ipv4_header_length", lambda: padded(eth() / IP(ihl=4)), parse_frame),
    ("bad_ipv4_total_length", lambda: padded(eth() / IP(len=19)), parse_frame),
    ("bad_ipv4_checksum", lambda: padded(eth() / IP(chksum=1) / UDP()), parse_frame),
    ("bad_ipv4_options", lambda: raw_ipv4_with_options(b"\x07\x01\x00\x00"), parse_frame),
    ("truncated_ipv6", lambda: bytes(eth() / IPv6() / UDP())[:60], parse_frame),
    ("bad_ipv6_version", lambda: padded(eth(type=0x86DD) / IP() / bytes(40)), parse_frame),
    (
        "bad_ipv6_payload_length",
        lambda: padded(eth() / IPv6(plen=0) / IPv6ExtHdrHopByHop()),
        parse_frame,
    ),
    (
        "bad_ipv6_extension_header",
        lambda: padded(eth() / IPv6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP()),
        parse_frame,
    ),
    (
        "bad_ipv6_extension_header",
        lambda: padded(eth() / IPv6() / IPv6ExtHdrRouting(type=3, segleft=1) / UDP()),
        parse_frame,
    ),
    (
        "bad_ipv6_extension_header",
        lambda: padded(eth() / IPv6(nh=60) / (b"\x11\x05" + bytes(6))),
        parse_frame,
    ),
    ("truncated_tcp", lambda: padded(eth() / IP(proto=6) / bytes(19)), parse_frame),
    ("bad_tcp_data_offset", lambda: padded(eth() / IP() / TCP(dataofs=4)), parse_frame),
    ("bad_tcp_data_offset", lambda: padded(eth() / IP() / TCP(dataofs=15)), parse_frame),
    ("bad_tcp_checksum", lambda: padded(eth() / IP() / TCP(chksum=1)), parse_frame),
    ("bad_tcp_checksum", lambda: padded(eth() / IPv6() / TCP(chksum=1)), parse_frame),
    ("truncated_udp", lambda: padded(eth() / IP(proto=17) / bytes(7)), parse_frame),
    ("bad_udp_length", lambda: padded(eth() / IP() / UDP(len=7)), parse_frame),
    ("bad_udp_length", lambda: padded(eth() / IP() / UDP(len=30)), parse_frame),
    ("bad_udp_checksum", lambda: padded(eth() / IP() / UDP(chksum=1) / b"x"), parse_frame),
    ("bad_udp_checksum", lambda: padded(eth() / IPv6() / UDP(chksum=0)), parse_frame),
    ("truncated_icmp", lambda: padded(eth() / IP(proto=1) / bytes(7)), parse_frame),
    ("bad_icmp_checksum", lambda: padded(eth() / IP() / ICMP(chksum=1)), parse_frame),
    ("truncated_icmpv6", lambda: padded(eth() / IPv6(nh=58) / bytes(7)), parse_frame),
    (
        "bad_icmpv6_checksum",
        lambda: padded(eth() / IPv6() / ICMPv6EchoRequest(cksum=1)),
        parse_frame,
    ),
    (
        "bad_nd_option",
        lambda: padded(eth() / IPv6() / ICMPv6ND_NS() / ICMPv6NDOptSrcLLAddr(len=0)),
        parse_frame,
    ),
    (
        "bad_nd_option",
        lambda: padded(eth() / IPv6() / ICMPv6ND_NS() / ICMPv6NDOptSrcLLAddr(len=2)),
        parse_frame,
    ),
    ("truncated_vxlan", lambda: bytes(VXLAN_OUTER / b"\x08\x00"), decapsulate),
    (
        "bad_vxlan_flags",
        lambda: bytes(VXLAN_OUTER / b"\x0c\x00\x00\x00\x00\x00\x01\x00") + INNER,
        decapsulate,
    ),
    ("truncated_geneve", lambda: bytes(GENEVE_OUTER / b"\x00\x00\x65\x58"), decapsulate),
    (
        "bad_geneve_version",
        lambda: bytes(GENEVE_OUTER / b"\x40\x00\x65\x58\x00\x00\x01\x00") + INNER,
        decapsulate,
    ),
    (
        "bad_geneve_options",
        lambda: bytes(GENEVE_OUTER / b"\x01\x00\x65\x58\x00\x00\x01\x00\x01\x00\x01\x01") + INNER,
        decapsulate,
    ),
    (
        "unsupported_geneve_protocol",
        lambda: bytes(GENEVE_OUTER / b"\x00\x00\x08\x00\x00\x00\x01\x00") + INNER,
        decapsulate,
    ),
    ("unsupported_ethertype", lambda: padded(eth(type=0x88CC)), parse_frame),
    ("unsupported_ethertype", lambda: padded(eth() / Dot1Q() / Dot1Q() / IP()), parse_frame),
    ("bad_fragment", ipv4_fragment_overrunning, parse_frame),
    ("not_overlay", lambda: padded(eth() / ARP()), decapsulate),
    (
        "fragmented_overlay",
        lambda: padded(
            eth() / IP(flags="MF", proto=17) / bytes(UDP(dport=4789, len=99)) / bytes(8)
        ),
        decapsulate,
    ),
]


@pytest.mark.parametrize(
    ("reason", "make_frame", "decoder"), REASON_EXAMPLES, ids=[r[0] for r in REASON_EXAMPLES]
)
def test_reason_examples(
    reason: str, make_frame: Callable[[], bytes], decoder: Callable[[bytes], object]
) -> None:
    assert reason_of(make_frame(), decoder) == reason


def test_every_reason_has_an_example() -> None:
    assert {example[0] for example in REASON_EXAMPLES} == set(ALL_REASONS)
    assert len(set(ALL_REASONS)) == len(ALL_REASONS)
    assert all(reason == reason.lower() and " " not in reason for reason in ALL_REASONS)


def test_error_carries_reason_and_detail() -> None:
    error = ErrorsMalformed("bad_arp", "op=9")
    assert (error.reason, error.detail, str(error)) == ("bad_arp", "op=9", "bad_arp: op=9")
    assert str(ErrorsMalformed("bad_arp")) == "bad_arp"


CHECKSUM_FIELDS = [
    ("ipv4_udp", 24, "bad_ipv4_checksum"),
    ("ipv4_udp", 40, "bad_udp_checksum"),
    ("ipv4_tcp", 50, "bad_tcp_checksum"),
    ("ipv4_icmp", 36, "bad_icmp_checksum"),
    ("ipv6_udp", 60, "bad_udp_checksum"),
    ("ipv6_tcp", 70, "bad_tcp_checksum"),
    ("ipv6_echo", 56, "bad_icmpv6_checksum"),
    ("ipv6_ns", 56, "bad_icmpv6_checksum"),
]


@pytest.mark.parametrize(("name", "offset", "reason"), CHECKSUM_FIELDS)
def test_corrupted_checksums(name: str, offset: int, reason: str) -> None:
    frame = bytearray(all_frames()[name])
    frame[offset] ^= 0x01
    assert reason_of(bytes(frame)) == reason
    parse_frame(bytes(frame), verify_checksums=False)


@pytest.mark.parametrize("name", ["ipv4_tcp_data", "ipv6_udp", "ipv4_icmp", "ipv6_echo"])
def test_corrupted_payload_fails_the_checksum(name: str) -> None:
    frame = bytearray(all_frames()[name])
    packet = parse_frame(bytes(frame))
    assert packet.payload_offset is not None
    frame[packet.payload_offset] ^= 0x80
    assert reason_of(bytes(frame)).startswith("bad_") and reason_of(bytes(frame)).endswith(
        "checksum"
    )
