"""IPv6 header (RFC 8200) and the walk over its extension headers.

The walk skips hop-by-hop (only allowed first), routing and destination
options headers and decodes the fragment header, to find the upper-layer
protocol. A non-first fragment ends the walk: what follows is not a header.
An atomic fragment (offset 0, M clear) is not a fragment (RFC 6946).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import (
    BAD_FRAGMENT,
    BAD_IPV6_EXTENSION_HEADER,
    BAD_IPV6_VERSION,
    TRUNCATED_IPV6,
    MalformedPacket,
)

IPV6_HEADER_BYTES = 40
IPV6_MIN_MTU_BYTES = 1280
IPV6_MAX_PAYLOAD_BYTES = 65535
HOP_BY_HOP = 0
ROUTING = 43
FRAGMENT = 44
DESTINATION_OPTIONS = 60
NO_NEXT_HEADER = 59
OPTION_HEADER_TYPES = frozenset({HOP_BY_HOP, ROUTING, DESTINATION_OPTIONS})
FRAGMENT_HEADER_BYTES = 8

_ROUTING_ADDRESSES_START = 6  # type, segments left, 4 type-specific bytes
_ROUTING_TYPE_SEGMENT = 4
_ROUTING_TYPES_WITH_ADDRESSES = frozenset({0, 2, _ROUTING_TYPE_SEGMENT})

_HEADER = struct.Struct("!IHBB16s16s")
_FRAGMENT = struct.Struct("!BBHI")


@dataclass(frozen=True, slots=True)
class Ipv6:
    """IPv6 fixed header; `next_header` is the first extension or upper-layer type."""

    src: int
    dst: int
    next_header: int
    payload_length: int
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0

    def pack(self) -> bytes:
        first_word = (6 << 28) | (self.traffic_class << 20) | self.flow_label
        return _HEADER.pack(
            first_word,
            self.payload_length,
            self.next_header,
            self.hop_limit,
            self.src.to_bytes(16, "big"),
            self.dst.to_bytes(16, "big"),
        )

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Ipv6, int]:
        if len(buf) < offset + IPV6_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_IPV6, f"{len(buf) - offset} header bytes")
        first_word, payload_length, next_header, hop_limit, src, dst = _HEADER.unpack_from(
            buf, offset
        )
        if first_word >> 28 != 6:
            raise MalformedPacket(BAD_IPV6_VERSION, f"version {first_word >> 28}")
        header = cls(
            src=int.from_bytes(src, "big"),
            dst=int.from_bytes(dst, "big"),
            next_header=next_header,
            payload_length=payload_length,
            hop_limit=hop_limit,
            traffic_class=(first_word >> 20) & 0xFF,
            flow_label=first_word & 0xFFFFF,
        )
        return header, offset + IPV6_HEADER_BYTES


@dataclass(frozen=True, slots=True)
class Ipv6OptionHeader:
    """Hop-by-hop, routing or destination options header, body kept as bytes.

    `body` is everything after the (next header, length) pair; its length plus
    2 is a multiple of 8. The header's own type comes from the previous header.
    """

    header_type: int
    next_header: int
    body: bytes

    def pack(self) -> bytes:
        if (len(self.body) + 2) % 8:
            raise ValueError("extension header length must be a multiple of 8 bytes")
        return bytes((self.next_header, (len(self.body) + 2) // 8 - 1)) + self.body

    @classmethod
    def unpack(
        cls, buf: bytes | memoryview, offset: int, header_type: int = HOP_BY_HOP
    ) -> tuple[Ipv6OptionHeader, int]:
        if len(buf) < offset + 2:
            raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, f"type {header_type} truncated")
        end = offset + (buf[offset + 1] + 1) * 8
        if len(buf) < end:
            raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, f"type {header_type} overruns")
        return cls(header_type, buf[offset], bytes(buf[offset + 2 : end])), end


@dataclass(frozen=True, slots=True)
class Ipv6Fragment:
    """IPv6 fragment header (RFC 8200 §4.5)."""

    next_header: int
    fragment_offset_bytes: int
    more_fragments: bool
    identification: int

    @property
    def is_fragment(self) -> bool:
        return self.more_fragments or self.fragment_offset_bytes != 0

    def pack(self) -> bytes:
        if self.fragment_offset_bytes % 8:
            raise ValueError("fragment offset must be a multiple of 8 bytes")
        offset_flags = self.fragment_offset_bytes | int(self.more_fragments)
        return _FRAGMENT.pack(self.next_header, 0, offset_flags, self.identification)

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Ipv6Fragment, int]:
        if len(buf) < offset + FRAGMENT_HEADER_BYTES:
            raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, "fragment header truncated")
        next_header, _reserved, offset_flags, identification = _FRAGMENT.unpack_from(buf, offset)
        header = cls(next_header, offset_flags & 0xFFF8, bool(offset_flags & 1), identification)
        return header, offset + FRAGMENT_HEADER_BYTES


@dataclass(frozen=True, slots=True)
class HeaderChain:
    """Result of walking the extension headers of one IPv6 packet."""

    upper_proto: int
    upper_offset: int
    fragment: Ipv6Fragment | None
    extensions: tuple[Ipv6OptionHeader, ...]
    final_dst: int | None = None  # from a routing header with segments left; for checksums


def walk_extension_headers(buf: bytes | memoryview, offset: int, next_header: int) -> HeaderChain:
    """Walk from `offset` (just after the fixed header) to the upper layer.

    `buf` must end where the IPv6 packet ends. Headers that overrun it are
    `bad_ipv6_extension_header`, or `bad_fragment` after a fragment header
    (RFC 7112: the first fragment must hold the whole header chain).
    """
    chain_start = offset
    fragment: Ipv6Fragment | None = None
    extensions: list[Ipv6OptionHeader] = []
    while next_header in OPTION_HEADER_TYPES or next_header == FRAGMENT:
        if next_header == HOP_BY_HOP and offset != chain_start:
            raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, "hop-by-hop header not first")
        if next_header == FRAGMENT:
            if fragment is not None:
                raise MalformedPacket(BAD_FRAGMENT, "two fragment headers")
            unfragmentable_bytes = offset - chain_start
            fragment, offset = Ipv6Fragment.unpack(buf, offset)
            _check_fragment(fragment, unfragmentable_bytes, len(buf) - offset)
            if fragment.fragment_offset_bytes:
                # A non-first fragment: the bytes that follow are not headers.
                return _chain(fragment.next_header, offset, fragment, extensions)
            next_header = fragment.next_header
            continue
        in_fragment = fragment is not None and fragment.is_fragment
        option_header, offset = _unpack_option_header(buf, offset, next_header, in_fragment)
        extensions.append(option_header)
        next_header = option_header.next_header
    return _chain(next_header, offset, fragment, extensions)


def _chain(
    upper_proto: int, offset: int, fragment: Ipv6Fragment | None, extensions: list[Ipv6OptionHeader]
) -> HeaderChain:
    routing_headers = [header for header in extensions if header.header_type == ROUTING]
    if len(routing_headers) > 1:
        # RFC 8200 §4.1 allows one; with two the final destination would be ambiguous.
        raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, "more than one routing header")
    final_dst = routing_final_destination(routing_headers[0]) if routing_headers else None
    return HeaderChain(upper_proto, offset, fragment, tuple(extensions), final_dst)


def routing_final_destination(header: Ipv6OptionHeader) -> int | None:
    """Final destination named by a routing header, or None when none is left to visit.

    Upper-layer checksums use it in the pseudo-header (RFC 8200 §8.1). Types 0
    (RFC 5095) and 2 (RFC 6275) list addresses in visiting order; type 4 (SRv6,
    RFC 8754) lists them in reverse. Other types with segments left must be
    discarded (RFC 8200 §4.4).
    """
    routing_type, segments_left = header.body[0], header.body[1]
    if segments_left == 0:
        return None
    addresses = header.body[_ROUTING_ADDRESSES_START:]
    if routing_type not in _ROUTING_TYPES_WITH_ADDRESSES or len(addresses) < 16:
        raise MalformedPacket(BAD_IPV6_EXTENSION_HEADER, f"routing type {routing_type}")
    if routing_type == _ROUTING_TYPE_SEGMENT:
        return int.from_bytes(addresses[:16], "big")
    last_start = (len(addresses) // 16 - 1) * 16
    return int.from_bytes(addresses[last_start : last_start + 16], "big")


def _unpack_option_header(
    buf: bytes | memoryview, offset: int, header_type: int, in_fragment: bool
) -> tuple[Ipv6OptionHeader, int]:
    try:
        return Ipv6OptionHeader.unpack(buf, offset, header_type)
    except MalformedPacket as error:
        if in_fragment:
            raise MalformedPacket(BAD_FRAGMENT, "header chain exceeds first fragment") from error
        raise


def _check_fragment(fragment: Ipv6Fragment, unfragmentable_bytes: int, data_bytes: int) -> None:
    """RFC 8200 §4.5 receive checks on one fragment."""
    if fragment.more_fragments and data_bytes % 8:
        raise MalformedPacket(BAD_FRAGMENT, f"non-last fragment of {data_bytes} bytes")
    reassembled_bytes = unfragmentable_bytes + fragment.fragment_offset_bytes + data_bytes
    if reassembled_bytes > IPV6_MAX_PAYLOAD_BYTES:
        raise MalformedPacket(BAD_FRAGMENT, f"reassembled payload {reassembled_bytes} bytes")
