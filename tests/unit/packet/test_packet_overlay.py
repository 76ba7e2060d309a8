"""VXLAN and Geneve encapsulation/decapsulation, cross-checked with scapy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packet_corpus import eth, inner_frame, overlay_frames, padded
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Packet as ScapyPacket

from smartnic.packet import MalformedPacket, decapsulate, encapsulate, flow_entropy_port, ip_to_int
from smartnic.packet.geneve import GeneveOption

OUTER_MAC_A, OUTER_MAC_B = "02:00:00:00:01:01", "02:00:00:00:01:02"
HOST4_A, HOST4_B = ip_to_int("192.0.2.1")[1], ip_to_int("192.0.2.2")[1]
HOST6_A, HOST6_B = ip_to_int("2001:db8:f::1")[1], ip_to_int("2001:db8:f::2")[1]


def encap(inner: bytes, **fields: object) -> bytes:
    defaults: dict[str, object] = dict(
        outer_src_mac=OUTER_MAC_A,
        outer_dst_mac=OUTER_MAC_B,
        outer_src_ip=HOST4_A,
        outer_dst_ip=HOST4_B,
        udp_src_port=50000,
    )
    return encapsulate(inner, **{**defaults, **fields})  # type: ignore[arg-type]


def reason_of(frame: bytes) -> str:
    with pytest.raises(MalformedPacket) as caught:
        decapsulate(frame)
    return caught.value.reason


def outer4(sport: int = 50000, dport: int = 4789) -> ScapyPacket:
    return (
        Ether(src=OUTER_MAC_A, dst=OUTER_MAC_B)
        / IP(src="192.0.2.1", dst="192.0.2.2", flags="DF", id=0)
        / UDP(sport=sport, dport=dport, chksum=0)
    )


def test_plain_vxlan_is_exactly_rfc7348() -> None:
    inner = inner_frame()
    frame = encap(inner, kind="vxlan", vni=0xABCDEF)
    assert frame == bytes(outer4() / VXLAN(flags=0x08, vni=0xABCDEF) / inner)
    vxlan_header = frame[42:50]
    assert vxlan_header == b"\x08\x00\x00\x00\xab\xcd\xef\x00"
    outer = Ether(frame)
    assert outer[IP].flags.DF and outer[IP].ttl == 64 and outer[UDP].chksum == 0


def test_vxlan_sender_tag_rides_in_group_policy_id() -> None:
    inner = inner_frame()
    frame = encap(inner, kind="vxlan", vni=7, sender_tag=0x1234)
    assert frame == bytes(outer4() / VXLAN(flags=0x88, gpid=0x1234, vni=7) / inner)
    header, decoded_inner = decapsulate(frame)
    assert (header.kind, header.vni, header.sender_tag, decoded_inner) == (
        "vxlan",
        7,
        0x1234,
        inner,
    )


def test_geneve_matches_scapy() -> None:
    inner = inner_frame()
    frame = encap(inner, kind="geneve", vni=99, sender_tag=5, udp_src_port=51000)
    option = GeneveOptions(classid=0xFF01, type=1, data=b"\x00\x00\x00\x05")
    expected = outer4(51000, 6081) / GENEVE(vni=99, proto=0x6558, options=[option]) / inner
    assert frame == bytes(expected)
    header, decoded_inner = decapsulate(frame)
    assert (header.kind, header.vni, header.sender_tag, header.udp_dst_port) == (
        "geneve",
        99,
        5,
        6081,
    )
    assert header.geneve_options == (GeneveOption(0xFF01, 1, b"\x00\x00\x00\x05"),)
    assert decoded_inner == inner


def test_ipv6_outer_has_a_udp_checksum_scapy_agrees_with() -> None:
    frame = encap(
        inner_frame(),
        kind="geneve",
        vni=1,
        outer_ip_version=6,
        outer_src_ip=HOST6_A,
        outer_dst_ip=HOST6_B,
    )
    dissected = Ether(frame)
    checksum = dissected[UDP].chksum
    del dissected[UDP].chksum
    assert checksum != 0 and Ether(bytes(dissected))[UDP].chksum == checksum
    header, _ = decapsulate(frame)
    assert (header.outer_ip_version, header.outer_src_ip, header.outer_dst_ip) == (
        6,
        HOST6_A,
        HOST6_B,
    )


def test_ipv6_outer_zero_udp_checksum_is_accepted() -> None:
    frame = bytes(
        eth()
        / IPv6(src="2001:db8::1", dst="2001:db8::2")
        / UDP(sport=1, dport=4789, chksum=0)
        / VXLAN(flags=0x08, vni=3)
        / inner_frame()
    )
    assert decapsulate(frame)[0].vni == 3


@pytest.mark.parametrize("name", sorted(overlay_frames()))
def test_scapy_overlay_frames_decapsulate(name: str) -> None:
    frame = overlay_frames()[name]
    header, inner = decapsulate(frame)
    assert inner == inner_frame()
    expected_tag = {"vxlan": None, "vxlan_gbp": 0x1234, "geneve": 5, "geneve_ipv6": None}[name]
    assert header.sender_tag == expected_tag


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["vxlan", "geneve"]),
    st.integers(0, 0xFFFFFF),
    st.none() | st.integers(0, 0xFFFF),
    st.sampled_from([4, 6]),
    st.integers(0, 0xFFFF),
    st.binary(min_size=14, max_size=300),
)
def test_round_trip(
    kind: str, vni: int, tag: int | None, version: int, sport: int, inner: bytes
) -> None:
    src, dst = (HOST4_A, HOST4_B) if version == 4 else (HOST6_A, HOST6_B)
    frame = encap(
        inner,
        kind=kind,
        vni=vni,
        sender_tag=tag,
        outer_ip_version=version,
        outer_src_ip=src,
        outer_dst_ip=dst,
        udp_src_port=sport,
    )
    header, decoded = decapsulate(frame)
    assert decoded == inner
    assert (header.kind, header.vni, header.sender_tag, header.udp_src_port) == (
        kind,
        vni,
        tag,
        sport,
    )
    assert (header.outer_src_ip, header.outer_dst_ip, header.outer_ip_version) == (
        src,
        dst,
        version,
    )


def test_custom_ports() -> None:
    frame = encap(inner_frame(), kind="vxlan", vni=1, dst_port=8472)
    assert reason_of(frame) == "not_overlay"
    assert decapsulate(frame, vxlan_ports=(8472,))[0].udp_dst_port == 8472


def test_encapsulate_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        encap(inner_frame(), kind="gre", vni=1)
    with pytest.raises(ValueError):
        encap(inner_frame(), kind="vxlan", vni=1, sender_tag=0x10000)
    with pytest.raises(ValueError):
        encap(inner_frame(), kind="vxlan", vni=1 << 24)


@pytest.mark.parametrize(
    ("tunnel", "reason"),
    [
        (VXLAN(flags=0x0C, vni=1), "bad_vxlan_flags"),  # VXLAN-GPE next-protocol bit
        (VXLAN(flags=0x00, vni=1), "bad_vxlan_flags"),  # I bit clear
        (GENEVE(version=1, proto=0x6558), "bad_geneve_version"),
        (GENEVE(proto=0x0800), "unsupported_geneve_protocol"),
        (
            GENEVE(proto=0x6558, options=[GeneveOptions(classid=0x0100, type=0x80, data=b"")]),
            "bad_geneve_options",
        ),
        (
            GENEVE(
                proto=0x6558,
                options=[GeneveOptions(classid=0xFF01, type=1, data=b"\x01\x00\x00\x00")],
            ),
            "bad_geneve_options",
        ),
        (
            GENEVE(proto=0x6558, optionlen=1, options=[GeneveOptions(classid=1, type=1, length=2)]),
            "bad_geneve_options",
        ),
        (GENEVE(proto=0x6558, optionlen=5), "truncated_geneve"),
    ],
)
def test_bad_tunnel_headers(tunnel: object, reason: str) -> None:
    dport = 4789 if isinstance(tunnel, VXLAN) else 6081
    frame = bytes(outer4(dport=dport) / tunnel)
    if reason != "truncated_geneve":
        frame += inner_frame()
    assert reason_of(frame) == reason


def test_short_overlay_payloads() -> None:
    assert reason_of(bytes(outer4() / b"\x08\x00\x00")) == "truncated_vxlan"
    assert reason_of(bytes(outer4(dport=6081) / b"\x00\x00")) == "truncated_geneve"
    assert reason_of(bytes(outer4() / VXLAN(flags=0x08, vni=1) / b"short")) == "truncated_ethernet"


def test_non_overlay_traffic() -> None:
    assert reason_of(padded(eth() / IP() / UDP(sport=1, dport=53))) == "not_overlay"
    assert reason_of(padded(eth() / IP(proto=47) / bytes(20))) == "not_overlay"
    fragment = padded(eth() / IPv6() / IPv6ExtHdrFragment(m=1, nh=17) / UDP(dport=4789) / bytes(8))
    assert reason_of(fragment) == "fragmented_overlay"


def test_oam_flag_is_reported() -> None:
    frame = bytes(outer4(dport=6081) / GENEVE(proto=0x6558, oam=1) / inner_frame())
    assert decapsulate(frame)[0].oam


@given(st.integers(0, 2**32 - 1))
def test_flow_entropy_port_range(hash32: int) -> None:
    assert 49152 <= flow_entropy_port(hash32) <= 65535


def test_flow_entropy_port_spreads() -> None:
    ports = {flow_entropy_port(value * 2654435761 % 2**32) for value in range(4096)}
    assert len(ports) > 3000
