"""Random bytes and mutated valid frames: the decoders return a result or raise MalformedPacket."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from packet_corpus import all_frames

from smartnic.packet import MalformedPacket, Packet, decapsulate, parse_frame
from smartnic.packet.arp import Arp
from smartnic.packet.ethernet import Ethernet
from smartnic.packet.geneve import Geneve
from smartnic.packet.icmpv6 import ND_TYPES, NdMessage
from smartnic.packet.ipv4 import Ipv4
from smartnic.packet.ipv6 import Ipv6, walk_extension_headers
from smartnic.packet.tcp import Tcp
from smartnic.packet.udp import Udp
from smartnic.packet.vxlan import Vxlan

CORPUS = list(all_frames().values())


@st.composite
def mutated_frames(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        position = draw(st.integers(0, max(0, len(frame) - 1)))
        if action == "flip" and frame:
            frame[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and frame:
            frame[position] = draw(st.integers(0, 255))
        elif action == "cut":
            del frame[position:]
        elif action == "insert":
            frame[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del frame[position : position + draw(st.integers(1, 8))]
    return bytes(frame)


prefixed_random = st.builds(
    lambda frame, cut, tail: frame[:cut] + tail,
    st.sampled_from(CORPUS),
    st.integers(12, 70),
    st.binary(max_size=120),
)
inputs = st.binary(max_size=200) | mutated_frames() | prefixed_random


def check_packet(packet: Packet, frame: bytes) -> None:
    assert packet.l3_offset in (14, 18)
    if packet.ip_version:
        ip_end = packet.l3_offset + packet.ip_total_length
        assert ip_end <= len(frame)
        for offset in (packet.l4_offset, packet.payload_offset):
            assert offset is None or packet.l3_offset < offset <= ip_end
        assert packet.l4_offset is not None or packet.is_fragment
    else:
        assert packet.arp is not None and packet.l4_offset is None


@settings(max_examples=1500, deadline=None)
@given(inputs, st.booleans())
def test_parse_frame_never_raises_anything_else(frame: bytes, verify: bool) -> None:
    try:
        packet = parse_frame(frame, verify)
    except MalformedPacket:
        return
    check_packet(packet, frame)


@settings(max_examples=1000, deadline=None)
@given(inputs)
def test_decapsulate_never_raises_anything_else(frame: bytes) -> None:
    try:
        header, inner = decapsulate(frame)
    except MalformedPacket:
        return
    assert len(inner) >= 14 and 0 <= header.vni < 2**24


UNPACKERS: list[Callable[[bytes, int], object]] = [
    Ethernet.unpack,
    Arp.unpack,
    Ipv4.unpack,
    Ipv6.unpack,
    Tcp.unpack,
    Udp.unpack,
    Vxlan.unpack,
    Geneve.unpack,
]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80), st.integers(0, 8), st.sampled_from(UNPACKERS))
def test_header_unpack_never_raises_anything_else(
    buf: bytes, offset: int, unpack: Callable[[bytes, int], object]
) -> None:
    try:
        unpack(buf, offset)
    except MalformedPacket:
        pass


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=80), st.sampled_from(sorted(ND_TYPES)), st.integers(0, 255))
def test_nd_and_extension_walk_never_raise_anything_else(
    buf: bytes, nd_type: int, next_header: int
) -> None:
    for decode in (
        lambda: NdMessage.unpack(buf, 0, nd_type),
        lambda: walk_extension_headers(buf, 0, next_header),
    ):
        try:
            decode()
        except MalformedPacket:
            pass
