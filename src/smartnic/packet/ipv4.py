"""IPv4 header (RFC 791) with options kept as raw bytes and fragment fields.

`unpack` checks version, header length, total length against the header
length, the option TLV structure and the fragment's end (offset + payload
must stay within 65535, RFC 791 §3.2). It does not check the total length
against the buffer nor the checksum: the frame parser does both, because a
frame may carry Ethernet padding and checksum checks are optional.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.checksum import internet_checksum
from smartnic.packet.errors import (
    BAD_FRAGMENT,
    BAD_IPV4_HEADER_LENGTH,
    BAD_IPV4_OPTIONS,
    BAD_IPV4_TOTAL_LENGTH,
    BAD_IPV4_VERSION,
    TRUNCATED_IPV4,
    MalformedPacket,
)

IPV4_HEADER_BYTES = 20
IPV4_MAX_PACKET_BYTES = 65535
OPTION_END = 0
OPTION_NOP = 1
OPTION_COPIED_FLAG = 0x80  # option must be repeated in every fragment (RFC 791)

_HEADER = struct.Struct("!BBHHHBBHII")
_FLAG_RESERVED = 0x8000
_FLAG_DF = 0x4000
_FLAG_MF = 0x2000


@dataclass(frozen=True, slots=True)
class Ipv4:
    """IPv4 header. `checksum` None makes `pack` compute it."""

    src: int
    dst: int
    proto: int
    total_length: int
    ttl: int = 64
    identification: int = 0
    df: bool = False
    mf: bool = False
    fragment_offset_bytes: int = 0
    tos: int = 0
    options: bytes = b""
    checksum: int | None = None
    reserved_flag: bool = False

    @property
    def header_length_bytes(self) -> int:
        return IPV4_HEADER_BYTES + len(self.options)

    @property
    def is_fragment(self) -> bool:
        return self.mf or self.fragment_offset_bytes != 0

    def pack(self) -> bytes:
        if len(self.options) % 4 or len(self.options) > 40:
            raise ValueError("IPv4 options must be padded to 4 bytes and at most 40 bytes")
        if self.fragment_offset_bytes % 8:
            raise ValueError("fragment offset must be a multiple of 8 bytes")
        flags_offset = (
            (_FLAG_RESERVED if self.reserved_flag else 0)
            | (_FLAG_DF if self.df else 0)
            | (_FLAG_MF if self.mf else 0)
            | (self.fragment_offset_bytes >> 3)
        )
        fields = (
            0x40 | (self.header_length_bytes >> 2),
            self.tos,
            self.total_length,
            self.identification,
            flags_offset,
            self.ttl,
            self.proto,
            0 if self.checksum is None else self.checksum,
            self.src,
            self.dst,
        )
        header = _HEADER.pack(*fields) + self.options
        if self.checksum is not None:
            return header
        checksum = internet_checksum(header)
        return header[:10] + checksum.to_bytes(2, "big") + header[12:]

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Ipv4, int]:
        if len(buf) < offset + IPV4_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_IPV4, f"{len(buf) - offset} header bytes")
        ver_ihl, tos, total, ident, flags_offset, ttl, proto, checksum, src, dst = (
            _HEADER.unpack_from(buf, offset)
        )
        if ver_ihl >> 4 != 4:
            raise MalformedPacket(BAD_IPV4_VERSION, f"version {ver_ihl >> 4}")
        header_bytes = (ver_ihl & 0x0F) * 4
        if header_bytes < IPV4_HEADER_BYTES:
            raise MalformedPacket(BAD_IPV4_HEADER_LENGTH, f"{header_bytes} bytes")
        if len(buf) < offset + header_bytes:
            raise MalformedPacket(TRUNCATED_IPV4, f"{len(buf) - offset} of {header_bytes} bytes")
        if total < header_bytes:
            raise MalformedPacket(BAD_IPV4_TOTAL_LENGTH, f"total {total} < header {header_bytes}")
        fragment_offset_bytes = (flags_offset & 0x1FFF) << 3
        if fragment_offset_bytes + total - header_bytes > IPV4_MAX_PACKET_BYTES:
            raise MalformedPacket(BAD_FRAGMENT, f"fragment ends past {IPV4_MAX_PACKET_BYTES}")
        options = bytes(buf[offset + IPV4_HEADER_BYTES : offset + header_bytes])
        check_options(options)
        header = cls(
            src=src,
            dst=dst,
            proto=proto,
            total_length=total,
            ttl=ttl,
            identification=ident,
            df=bool(flags_offset & _FLAG_DF),
            mf=bool(flags_offset & _FLAG_MF),
            fragment_offset_bytes=fragment_offset_bytes,
            tos=tos,
            options=options,
            checksum=checksum,
            reserved_flag=bool(flags_offset & _FLAG_RESERVED),
        )
        return header, offset + header_bytes


def iter_options(options: bytes) -> list[bytes]:
    """Split an options field into whole options (END and padding after it dropped)."""
    result: list[bytes] = []
    position = 0
    while position < len(options):
        kind = options[position]
        if kind == OPTION_END:
            break
        if kind == OPTION_NOP:
            result.append(options[position : position + 1])
            position += 1
            continue
        if position + 1 >= len(options):
            raise MalformedPacket(BAD_IPV4_OPTIONS, f"option {kind} has no length byte")
        length = options[position + 1]
        if length < 2 or position + length > len(options):
            raise MalformedPacket(BAD_IPV4_OPTIONS, f"option {kind} length {length}")
        result.append(options[position : position + length])
        position += length
    return result


def check_options(options: bytes) -> None:
    """Raise `bad_ipv4_options` unless the options field is a valid TLV sequence."""
    if options:
        iter_options(options)


def options_for_later_fragments(options: bytes) -> bytes:
    """Options with the copied flag set, padded with END to 4 bytes (RFC 791 fragmentation)."""
    copied = b"".join(option for option in iter_options(options) if option[0] & OPTION_COPIED_FLAG)
    return copied + bytes(-len(copied) % 4)
