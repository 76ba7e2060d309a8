"""Internet checksum against a word-by-word reference, and the address helpers."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartnic.packet.addr import (
    bytes_to_mac,
    int_to_ip,
    ip_to_int,
    ipv6_multicast_mac,
    mac_is_multicast,
    mac_to_bytes,
    solicited_node_multicast,
)
from smartnic.packet.checksum import NUMPY_THRESHOLD_BYTES, internet_checksum, pseudo_header_sum


def reference_checksum(data: bytes) -> int:
    """RFC 1071 §4.1 loop: 16-bit words, end-around carry, complement."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for index in range(0, len(data), 2):
        total += (data[index] << 8) | data[index + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@given(st.binary(max_size=3000))
def test_checksum_matches_reference(data: bytes) -> None:
    assert internet_checksum(data) == reference_checksum(data)
    assert internet_checksum(memoryview(data)) == reference_checksum(data)


@pytest.mark.parametrize(
    "length", [0, 1, 2, NUMPY_THRESHOLD_BYTES - 1, NUMPY_THRESHOLD_BYTES, 9001]
)
@pytest.mark.parametrize("fill", [0x00, 0xFF, 0x5A])
def test_checksum_edge_patterns(length: int, fill: int) -> None:
    data = bytes([fill]) * length
    assert internet_checksum(data) == reference_checksum(data)


@given(st.binary(min_size=2, max_size=2000).filter(lambda data: len(data) % 2 == 0))
def test_checksum_over_message_with_its_checksum_is_zero(data: bytes) -> None:
    message = b"\x00\x00" + data
    value = internet_checksum(message)
    assert internet_checksum(value.to_bytes(2, "big") + data) == 0


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=64))
def test_pseudo_header_sum_equals_explicit_ipv4_pseudo_header(
    src: int, dst: int, data: bytes
) -> None:
    pseudo = (
        src.to_bytes(4, "big")
        + dst.to_bytes(4, "big")
        + bytes([0, 17])
        + len(data).to_bytes(2, "big")
    )
    expected = reference_checksum(pseudo + data + (b"\x00" if len(data) % 2 else b""))
    assert internet_checksum(data, pseudo_header_sum(4, src, dst, 17, len(data))) == expected


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1), st.binary(max_size=64))
def test_pseudo_header_sum_equals_explicit_ipv6_pseudo_header(
    src: int, dst: int, data: bytes
) -> None:
    pseudo = src.to_bytes(16, "big") + dst.to_bytes(16, "big") + len(data).to_bytes(4, "big")
    pseudo += bytes([0, 0, 0, 58])
    expected = reference_checksum(pseudo + data + (b"\x00" if len(data) % 2 else b""))
    assert internet_checksum(data, pseudo_header_sum(6, src, dst, 58, len(data))) == expected


def test_pseudo_header_rejects_unknown_version() -> None:
    with pytest.raises(ValueError):
        pseudo_header_sum(5, 1, 2, 6, 20)


def test_ip_conversions_round_trip() -> None:
    assert ip_to_int("10.0.0.1") == (4, 0x0A000001)
    assert ip_to_int(ipaddress.ip_address("2001:db8::1")) == (6, 0x20010DB8 << 96 | 1)
    assert int_to_ip(4, 0x0A000001) == "10.0.0.1"
    assert int_to_ip(6, 0x20010DB8 << 96 | 1) == "2001:db8::1"
    with pytest.raises(ValueError):
        int_to_ip(5, 1)


def test_mac_conversions() -> None:
    assert mac_to_bytes("02:00:00:00:00:0A") == b"\x02\x00\x00\x00\x00\x0a"
    assert mac_to_bytes("02-00-00-00-00-0a") == b"\x02\x00\x00\x00\x00\x0a"
    assert bytes_to_mac(b"\x02\x00\x00\x00\x00\x0a") == "02:00:00:00:00:0a"
    for bad in ("02:00:00:00:00", "02:00:00:00:00:0a:0b", "0200.0000.000a"):
        with pytest.raises(ValueError):
            mac_to_bytes(bad)
    with pytest.raises(ValueError):
        bytes_to_mac(b"\x00")


def test_multicast_macs() -> None:
    assert mac_is_multicast(b"\xff" * 6)
    assert mac_is_multicast(b"\x33\x33\x00\x00\x00\x01")
    assert mac_is_multicast(b"\x01\x00\x5e\x00\x00\x01")
    assert not mac_is_multicast(b"\x02\x00\x00\x00\x00\x01")


def test_solicited_node_group() -> None:
    target = int(ipaddress.IPv6Address("2001:db8::12:3456"))
    group = solicited_node_multicast(target)
    assert ipaddress.IPv6Address(group) == ipaddress.IPv6Address("ff02::1:ff12:3456")
    assert ipv6_multicast_mac(group) == b"\x33\x33\xff\x12\x34\x56"
