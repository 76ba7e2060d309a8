"""IPv4 fragmentation (checked by scapy's reassembly) and fragment parsing rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packet_corpus import MAC_A, MAC_B, eth, padded
from scapy.layers.inet import IP, TCP, UDP, defragment
from scapy.layers.inet6 import ICMPv6ND_NS, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, fragment6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from smartnic.packet import MalformedPacket, build_frame, fragment_ipv4, parse_frame

A4, B4 = 0x0A000001, 0x0A000002


def udp_frame(payload_bytes: int, **fields: object) -> bytes:
    return build_frame(
        eth_src=MAC_A,
        eth_dst=MAC_B,
        ip_version=4,
        src_ip=A4,
        dst_ip=B4,
        proto=17,
        sport=5,
        dport=6,
        payload=bytes(i % 251 for i in range(payload_bytes)),
        ip_id=77,
        **fields,  # type: ignore[arg-type]
    )


def ip_without_padding(frame: bytes) -> IP:
    """The IP packet of a frame without Ethernet padding (scapy reassembles padding too)."""
    ip = Ether(frame)[IP]
    return IP(bytes(ip)[: ip.len])


def reason_of(frame: bytes) -> str:
    with pytest.raises(MalformedPacket) as caught:
        parse_frame(frame)
    return caught.value.reason


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 4000), st.integers(68, 1500), st.booleans())
def test_fragments_reassemble_in_scapy(payload_bytes: int, mtu_bytes: int, tagged: bool) -> None:
    original = udp_frame(payload_bytes, vlan_id=7 if tagged else None)
    fragments = fragment_ipv4(original, mtu_bytes)
    packets = [parse_frame(fragment) for fragment in fragments]
    assert all(packet.ip_total_length <= mtu_bytes for packet in packets)
    assert all(packet.fragment_offset % 8 == 0 for packet in packets)
    assert [packet.more_fragments for packet in packets] == [True] * (len(packets) - 1) + [False]
    assert all(packet.vlan_id == (7 if tagged else None) for packet in packets)
    if len(fragments) > 1:
        assert packets[0].sport == 5 and all(packet.l4_offset is None for packet in packets[1:])
    whole = defragment([ip_without_padding(fragment) for fragment in fragments])
    assert len(whole) == 1
    assert bytes(whole[0]) == bytes(ip_without_padding(original))


def test_options_copied_only_when_flagged() -> None:
    security = b"\x82\x04\x00\x00"
    record_route = b"\x07\x07\x04" + bytes(4) + b"\x01"
    frame = padded(
        eth()
        / IP(src="10.0.0.1", dst="10.0.0.2", options=record_route + security)
        / UDP(sport=1, dport=2)
        / bytes(200)
    )
    fragments = [ip_without_padding(fragment) for fragment in fragment_ipv4(frame, 120)]
    assert bytes(fragments[0].options[0])[:1] == b"\x07"
    assert all(bytes(b"".join(bytes(o) for o in f.options)) == security for f in fragments[1:])
    assert bytes(defragment(fragments)[0][UDP].payload) == bytes(200)


def test_fragmenting_a_fragment_keeps_offset_and_more_fragments() -> None:
    first_half = fragment_ipv4(udp_frame(2000), 1000)[0]
    pieces = fragment_ipv4(first_half, 300)
    packets = [parse_frame(piece) for piece in pieces]
    assert all(packet.more_fragments for packet in packets)
    assert packets[0].fragment_offset == 0


def test_small_frame_is_returned_unchanged() -> None:
    frame = udp_frame(10)
    assert fragment_ipv4(frame, 1500) == [frame]


def test_refuses_df_too_small_mtu_and_non_ipv4() -> None:
    with pytest.raises(ValueError, match="DF"):
        fragment_ipv4(udp_frame(2000, df=True), 1500)
    with pytest.raises(ValueError):
        fragment_ipv4(udp_frame(200), 24)
    arp = padded(Ether(src=MAC_A, dst=MAC_B, type=0x0806) / bytes(28))
    with pytest.raises(ValueError):
        fragment_ipv4(arp, 100)


def test_first_fragment_too_short_for_ports() -> None:
    frame = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", flags="MF", proto=17) / Raw(b""))
    assert reason_of(frame) == "bad_fragment"


def test_tcp_first_fragment_must_show_the_flags() -> None:
    frame = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", flags="MF", proto=6) / Raw(bytes(16)))
    assert reason_of(frame) == "bad_fragment"
    whole = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", flags="MF", proto=6) / Raw(bytes(24)))
    assert parse_frame(whole).l4_offset == 34


def test_tcp_fragment_at_offset_8_is_rejected() -> None:
    frame = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", frag=1, proto=6) / Raw(bytes(16)))
    assert reason_of(frame) == "bad_fragment"


def test_non_last_fragment_must_be_multiple_of_8() -> None:
    frame = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", flags="MF", proto=17) / Raw(bytes(13)))
    assert reason_of(frame) == "bad_fragment"


def test_fragment_beyond_65535_is_rejected() -> None:
    frame = padded(eth() / IP(src="1.1.1.1", dst="2.2.2.2", frag=8191, proto=17) / Raw(bytes(16)))
    assert reason_of(frame) == "bad_fragment"


def test_ipv6_fragments_from_scapy() -> None:
    original = (
        IPv6(src="2001:db8::1", dst="2001:db8::2")
        / IPv6ExtHdrFragment(id=0x1234)
        / UDP(sport=7, dport=8)
        / bytes(3000)
    )
    pieces = [padded(eth() / piece) for piece in fragment6(original, 1280)]
    packets = [parse_frame(piece) for piece in pieces]
    assert packets[0].is_fragment and (packets[0].sport, packets[0].dport) == (7, 8)
    assert packets[0].payload_offset is None
    assert all(packet.ip_id == 0x1234 and packet.df for packet in packets)
    assert all(packet.l4_offset is None and packet.proto == 17 for packet in packets[1:])
    assert not packets[-1].more_fragments and packets[-1].fragment_offset > 0


def test_ipv6_atomic_fragment_is_not_a_fragment() -> None:
    frame = padded(
        eth() / IPv6(src="::1", dst="::2") / IPv6ExtHdrFragment(id=9) / UDP(sport=1, dport=2)
    )
    packet = parse_frame(frame)
    assert not packet.is_fragment and packet.ip_id == 9 and packet.payload_offset is not None


@pytest.mark.parametrize(
    "fragment_and_data",
    [
        (IPv6ExtHdrFragment(m=1, nh=17), bytes(13)),  # non-last fragment not a multiple of 8
        (IPv6ExtHdrFragment(offset=8191, nh=17), bytes(16)),  # past 65535
        (IPv6ExtHdrFragment(m=1, nh=17), bytes(0)),  # first fragment without the UDP header
        (IPv6ExtHdrFragment(m=1, nh=58), bytes(ICMPv6ND_NS(tgt="::3"))),  # fragmented ND (RFC 6980)
        (
            IPv6ExtHdrFragment(m=1, nh=60),
            b"\x11\x03" + bytes(6),
        ),  # header chain overruns (RFC 7112)
    ],
)
def test_bad_ipv6_fragments(fragment_and_data: tuple[IPv6ExtHdrFragment, bytes]) -> None:
    fragment, data = fragment_and_data
    frame = padded(eth() / IPv6(src="::1", dst="::2") / fragment / Raw(data))
    assert reason_of(frame) == "bad_fragment"


def test_two_ipv6_fragment_headers() -> None:
    frame = padded(
        eth()
        / IPv6(src="::1", dst="::2")
        / IPv6ExtHdrFragment(nh=44)
        / IPv6ExtHdrFragment(nh=17)
        / UDP()
    )
    assert reason_of(frame) == "bad_fragment"


def test_ipv6_first_fragment_with_destination_options() -> None:
    frame = padded(
        eth()
        / IPv6(src="::1", dst="::2")
        / IPv6ExtHdrFragment(m=1)
        / IPv6ExtHdrDestOpt()
        / TCP(sport=3, dport=4)
        / bytes(4)
    )
    packet = parse_frame(frame)
    assert (packet.proto, packet.sport, packet.dport, packet.is_fragment) == (6, 3, 4, True)
