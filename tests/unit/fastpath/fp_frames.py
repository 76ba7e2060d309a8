"""Hypothesis strategies of frames for the kernel tests: well-formed IPv4/IPv6 frames of
every protocol the fast path handles (and some it leaves to the slow path), then damaged
ones — truncated, a byte flipped, a VLAN tag, IPv4 options, fragments, a zero UDP
checksum — and plain noise. Overlay frames wrap them as a host, the edge or a spoofer would."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from smartnic.dataplane.runner import underlay_mac
from smartnic.packet import build_frame, encapsulate, fragment_ipv4
from smartnic.packet.ipv4 import Ipv4

MAC_A = bytes.fromhex("020000000a0a")
ROUTER = bytes.fromhex("0e0000000001")
V4 = [0x0A00010A, 0x0A000114, 0xC6336407]
V6 = [0x20010DB8123412010000000000000010, 0x20010DB8123412010000000000000020, 1]


@st.composite
def ip_frames(draw: st.DrawFn, eth_src: bytes = MAC_A, eth_dst: bytes = ROUTER) -> bytes:
    version = draw(st.sampled_from([4, 4, 6]))
    addresses = V4 if version == 4 else V6
    proto = draw(st.sampled_from([6, 6, 17, 17, 1 if version == 4 else 58, 47]))
    icmp_type = draw(st.sampled_from([8, 0, 3, 13] if version == 4 else [128, 129, 1, 135]))
    fields: dict[str, Any] = dict(
        eth_src=eth_src, eth_dst=eth_dst, ip_version=version,
        src_ip=draw(st.sampled_from(addresses)), dst_ip=draw(st.sampled_from(addresses)),
        proto=proto, sport=draw(st.integers(0, 65535)), dport=draw(st.sampled_from([80, 53])),
        tcp_flags=draw(st.integers(0, 255)), icmp_type=icmp_type,
        icmp_code=draw(st.integers(0, 2)), icmp_id=draw(st.integers(0, 65535)),
        payload=draw(st.binary(max_size=40)), df=draw(st.booleans()),
        ip_id=draw(st.integers(0, 65535)), ttl=draw(st.integers(1, 255)))
    return build_frame(**fields)


@st.composite
def damaged(draw: st.DrawFn, frame: bytes) -> bytes:
    kind = draw(st.sampled_from(["none", "none", "truncate", "flip", "vlan", "options",
                                 "fragment", "zero_udp_checksum", "pad"]))
    if kind == "truncate":
        return frame[:draw(st.integers(0, len(frame)))]
    if kind == "flip":
        data = bytearray(frame)
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "vlan":
        return frame[:12] + b"\x81\x00\x00\x05" + frame[12:]
    if kind == "options" and frame[12:14] == b"\x08\x00":
        return _with_options(frame)
    if kind == "fragment" and frame[12:14] == b"\x08\x00" and len(frame) > 60:
        return draw(st.sampled_from(fragment_ipv4(_undf(frame), 36)))
    if kind == "zero_udp_checksum":
        ipv4 = frame[12:14] == b"\x08\x00"
        offset, proto = (34, frame[23]) if ipv4 else (54, frame[20])
        if len(frame) >= offset + 8 and proto == 17:
            return frame[:offset + 6] + b"\0\0" + frame[offset + 8:]
    if kind == "pad":
        return frame + bytes(draw(st.integers(1, 8)))
    return frame


def _undf(frame: bytes) -> bytes:
    data = bytearray(frame)
    data[20] &= 0xBF  # clear DF, fix the header checksum
    data[24:26] = b"\0\0"
    header = Ipv4.unpack(bytes(data[14:]), 0)[0]
    return bytes(data[:14]) + Ipv4(header.src, header.dst, header.proto, header.total_length,
                                   header.ttl, header.identification).pack() + bytes(data[34:])


def _with_options(frame: bytes) -> bytes:
    header, _ = Ipv4.unpack(frame[14:], 0)
    options = b"\x01\x01\x01\x00"  # NOP NOP NOP END
    rebuilt = Ipv4(header.src, header.dst, header.proto, header.total_length + 4, header.ttl,
                   header.identification, header.df, options=options).pack()
    return frame[:14] + rebuilt + frame[34:]


def frame_lists(min_size: int, max_size: int) -> st.SearchStrategy[list[bytes]]:
    """Frames from MAC_A: mostly well-formed or damaged IP frames, some noise."""
    frame = st.one_of(ip_frames().flatmap(damaged), st.binary(max_size=80))
    return st.lists(frame, min_size=min_size, max_size=max_size)


def overlay(inner: bytes, *, kind: str, vni: int, tag: int | None, src_ip: int,
            dst_ip: int) -> bytes:
    return encapsulate(inner, kind=kind, vni=vni,  # type: ignore[arg-type]
                       outer_src_mac=underlay_mac(src_ip), outer_dst_mac=underlay_mac(dst_ip),
                       outer_src_ip=src_ip, outer_dst_ip=dst_ip, udp_src_port=50000,
                       sender_tag=tag)
