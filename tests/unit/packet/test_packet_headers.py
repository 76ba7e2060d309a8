"""Each header class: pack/unpack round trips and a named reason for every short buffer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartnic.packet.arp import Arp
from smartnic.packet.errors import ALL_REASONS, MalformedPacket
from smartnic.packet.ethernet import Ethernet
from smartnic.packet.geneve import Geneve, GeneveOption
from smartnic.packet.icmp import Icmp
from smartnic.packet.icmpv6 import (
    NEIGHBOR_ADVERTISEMENT,
    ROUTER_ADVERTISEMENT,
    ROUTER_SOLICITATION,
    Icmpv6,
    NdMessage,
    NdOption,
)
from smartnic.packet.ipv4 import Ipv4, options_for_later_fragments
from smartnic.packet.ipv6 import Ipv6, Ipv6Fragment, Ipv6OptionHeader
from smartnic.packet.tcp import Tcp
from smartnic.packet.udp import Udp
from smartnic.packet.vxlan import Vxlan

macs = st.binary(min_size=6, max_size=6)
u8, u16, u32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
ip4, ip6 = u32, st.integers(0, 2**128 - 1)
words = st.integers(0, 10).map(lambda n: n * 4).flatmap(lambda n: st.binary(min_size=n, max_size=n))

untagged_ethernets = st.builds(Ethernet, macs, macs, u16.filter(lambda value: value != 0x8100))
tagged_ethernets = st.builds(
    Ethernet, macs, macs, u16, st.integers(0, 4095), st.integers(0, 7), st.booleans()
)
ethernets = untagged_ethernets | tagged_ethernets
ipv4_options = st.sampled_from(
    [b"", b"\x01\x01\x01\x00", b"\x07\x07\x04" + bytes(5), b"\x94\x04\x00\x00"]
)
ipv4s = st.builds(
    Ipv4,
    ip4,
    ip4,
    u8,
    st.integers(60, 1500),
    u8,
    u16,
    st.booleans(),
    st.booleans(),
    st.integers(0, 100).map(lambda n: n * 8),
    u8,
    ipv4_options,
    u16,
    st.booleans(),
)
ipv6s = st.builds(Ipv6, ip6, ip6, u8, u16, u8, u8, st.integers(0, 0xFFFFF))
tcps = st.builds(Tcp, u16, u16, u32, u32, u8, u16, u16, u16, words, st.integers(0, 15))
udps = st.builds(Udp, u16, u16, st.integers(8, 0xFFFF), u16)
icmps = st.builds(Icmp, u8, u8, u16, u32)
icmpv6s = st.builds(Icmpv6, u8, u8, u16, u32)
vxlans = st.builds(Vxlan, st.integers(0, 0xFFFFFF), st.none()) | st.builds(
    Vxlan, st.integers(0, 0xFFFFFF), u16, u8
)
geneve_options = st.builds(GeneveOption, u16, u8, words)
geneves = st.builds(
    Geneve,
    st.integers(0, 0xFFFFFF),
    u16,
    st.lists(geneve_options, max_size=4).map(tuple),
    st.booleans(),
    st.booleans(),
)
arps = st.builds(Arp, st.sampled_from([1, 2]), macs, ip4, macs, ip4)
fragments6 = st.builds(
    Ipv6Fragment, u8, st.integers(0, 8191).map(lambda n: n * 8), st.booleans(), u32
)
option_headers = st.builds(
    Ipv6OptionHeader,
    st.sampled_from([0, 43, 60]),
    u8,
    st.integers(0, 4).flatmap(lambda n: st.binary(min_size=6 + 8 * n, max_size=6 + 8 * n)),
)

ROUND_TRIPS: list[tuple[str, Any, Callable[..., Any]]] = [
    ("ethernet", ethernets, Ethernet.unpack),
    ("ipv4", ipv4s, Ipv4.unpack),
    ("ipv6", ipv6s, Ipv6.unpack),
    ("tcp", tcps, Tcp.unpack),
    ("udp", udps, Udp.unpack),
    ("icmp", icmps, Icmp.unpack),
    ("icmpv6", icmpv6s, Icmpv6.unpack),
    ("vxlan", vxlans, Vxlan.unpack),
    ("geneve", geneves, Geneve.unpack),
    ("arp", arps, Arp.unpack),
    ("ipv6_fragment", fragments6, Ipv6Fragment.unpack),
]


@pytest.mark.parametrize(
    ("name", "strategy", "unpack"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS]
)
def test_round_trip(name: str, strategy: Any, unpack: Callable[..., Any]) -> None:
    @given(strategy, st.binary(max_size=4), st.binary(max_size=4))
    def check(header: Any, before: bytes, after: bytes) -> None:
        wire = header.pack()
        decoded, end = unpack(before + wire + after, len(before))
        assert decoded == header
        assert end == len(before) + len(wire)
        assert decoded.pack() == wire

    check()


@given(option_headers)
def test_ipv6_option_header_round_trip(header: Ipv6OptionHeader) -> None:
    wire = header.pack()
    assert Ipv6OptionHeader.unpack(wire, 0, header.header_type) == (header, len(wire))


@pytest.mark.parametrize(
    ("name", "strategy", "unpack"), ROUND_TRIPS, ids=[r[0] for r in ROUND_TRIPS]
)
def test_every_short_buffer_has_a_named_reason(
    name: str, strategy: Any, unpack: Callable[..., Any]
) -> None:
    @given(strategy)
    def check(header: Any) -> None:
        wire = header.pack()
        for cut in range(len(wire)):
            with pytest.raises(MalformedPacket) as caught:
                unpack(wire[:cut], 0)
            assert caught.value.reason in ALL_REASONS

    check()


def test_nd_messages_round_trip() -> None:
    link = NdOption.link_address(1, b"\x02\x00\x00\x00\x00\x01")
    prefix = NdOption(3, bytes(30))
    messages = [
        NdMessage(NEIGHBOR_ADVERTISEMENT, target=7, options=(link,)),
        NdMessage(ROUTER_SOLICITATION, options=(link,)),
        NdMessage(
            ROUTER_ADVERTISEMENT, options=(link, prefix), reachable_time_ms=5, retrans_timer_ms=9
        ),
    ]
    for message in messages:
        wire = message.pack()
        assert NdMessage.unpack(wire, 0, message.icmp_type) == (message, len(wire))
        assert message.link_address(1) == b"\x02\x00\x00\x00\x00\x01"
        assert message.link_address(2) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x01\x00" + bytes(6), "bad_nd_option"),  # zero length
        (b"\x01\x02" + bytes(6), "bad_nd_option"),  # overruns the message
        (b"\x01", "bad_nd_option"),
    ],
)
def test_bad_nd_options(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedPacket) as caught:
        NdMessage.unpack(body, 0, ROUTER_SOLICITATION)
    assert caught.value.reason == reason


def test_ipv4_options_copied_to_later_fragments() -> None:
    record_route = b"\x07\x07\x04" + bytes(4)
    security = b"\x82\x04\x00\x00"  # copied flag set
    options = record_route + b"\x01" + security
    assert options_for_later_fragments(options) == security
    assert options_for_later_fragments(record_route + b"\x00") == b""


@pytest.mark.parametrize("options", [b"\x07\x01\x00\x00", b"\x07\x09\x00\x00", b"\x01\x01\x01\x07"])
def test_bad_ipv4_options(options: bytes) -> None:
    wire = Ipv4(1, 2, 17, 24, options=options).pack()
    with pytest.raises(MalformedPacket) as caught:
        Ipv4.unpack(wire, 0)
    assert caught.value.reason == "bad_ipv4_options"


def test_pack_rejects_unencodable_values() -> None:
    with pytest.raises(ValueError):
        Ipv4(1, 2, 6, 20, options=b"\x01").pack()
    with pytest.raises(ValueError):
        Ipv4(1, 2, 6, 20, fragment_offset_bytes=3).pack()
    with pytest.raises(ValueError):
        Tcp(1, 2, options=b"\x01").pack()
    with pytest.raises(ValueError):
        Vxlan(1 << 24).pack()
    with pytest.raises(ValueError):
        Geneve(1 << 24).pack()
    with pytest.raises(ValueError):
        GeneveOption(1, 1, b"\x00").pack()
    with pytest.raises(ValueError):
        Geneve(1, options=tuple(GeneveOption(1, 1, bytes(124)) for _ in range(3))).pack()
    with pytest.raises(ValueError):
        NdOption(1, b"\x00").pack()
    with pytest.raises(ValueError):
        Ipv6OptionHeader(0, 6, b"\x00").pack()
    with pytest.raises(ValueError):
        Ipv6Fragment(6, 3, False, 1).pack()


def test_geneve_critical_bit_follows_options_unless_given() -> None:
    critical_option = GeneveOption(0x0100, 0x80, b"")
    assert Geneve(1, options=(critical_option,)).pack()[1] & 0x40
    assert not Geneve(1, options=(GeneveOption(0x0100, 0x01, b""),)).pack()[1] & 0x40
    assert Geneve(1, critical=True).pack()[1] & 0x40


def test_icmp_rest_of_header_views() -> None:
    echo = Icmp(8, 0, 0, 0x1234_0005)
    assert (echo.identifier, echo.sequence) == (0x1234, 5)
    assert Icmp(3, 4, 0, 1400).next_hop_mtu == 1400
    echo6 = Icmpv6(128, 0, 0, 0xBEEF_0001)
    assert (echo6.identifier, echo6.sequence) == (0xBEEF, 1)


def test_header_lengths() -> None:
    assert Ipv4(1, 2, 6, 24, options=b"\x01\x01\x01\x00").header_length_bytes == 24
    assert Tcp(1, 2, options=bytes(8)).header_length_bytes == 28
    assert Ethernet(bytes(6), bytes(6), 0x0800, vlan_id=5).header_length_bytes == 18
    assert Ipv4(1, 2, 17, 28, mf=True).is_fragment
    assert Ipv6Fragment(17, 8, False, 1).is_fragment
    assert not Ipv6Fragment(17, 0, False, 1).is_fragment
