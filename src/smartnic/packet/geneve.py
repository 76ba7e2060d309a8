"""Geneve header (RFC 8926) with its option TLVs.

Wire layout: ver(2) opt_len(6) | O(1) C(1) rsvd(6) | protocol type(2) |
VNI(3) reserved(1) | options (opt_len × 4 bytes). Each option: class(2)
type(1) rsvd(3 bits) length(5 bits, in 4-byte words) data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import (
    BAD_GENEVE_OPTIONS,
    BAD_GENEVE_VERSION,
    TRUNCATED_GENEVE,
    MalformedPacket,
)

GENEVE_PORT = 6081
GENEVE_HEADER_BYTES = 8
PROTOCOL_ETHERNET = 0x6558
OPTION_CRITICAL_TYPE_BIT = 0x80  # high bit of the option type (RFC 8926 §3.5)
MAX_OPTION_DATA_BYTES = 124
MAX_OPTIONS_BYTES = 252
MAX_VNI = 0xFFFFFF

_HEADER = struct.Struct("!BBHI")
_OPTION = struct.Struct("!HBB")


@dataclass(frozen=True, slots=True)
class GeneveOption:
    """One Geneve option TLV; `data` length is a multiple of 4, at most 124 bytes."""

    option_class: int
    option_type: int
    data: bytes

    @property
    def critical(self) -> bool:
        return bool(self.option_type & OPTION_CRITICAL_TYPE_BIT)

    def pack(self) -> bytes:
        if len(self.data) % 4 or len(self.data) > MAX_OPTION_DATA_BYTES:
            raise ValueError("Geneve option data must be a multiple of 4, at most 124 bytes")
        return _OPTION.pack(self.option_class, self.option_type, len(self.data) // 4) + self.data

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[GeneveOption, int]:
        if len(buf) < offset + 4:
            raise MalformedPacket(BAD_GENEVE_OPTIONS, "option header overruns options")
        option_class, option_type, length_byte = _OPTION.unpack_from(buf, offset)
        end = offset + 4 + (length_byte & 0x1F) * 4
        if len(buf) < end:
            raise MalformedPacket(BAD_GENEVE_OPTIONS, "option data overruns options")
        return cls(option_class, option_type, bytes(buf[offset + 4 : end])), end


@dataclass(frozen=True, slots=True)
class Geneve:
    """Geneve header. `critical` None makes `pack` derive the C bit from the options."""

    vni: int
    protocol_type: int = PROTOCOL_ETHERNET
    options: tuple[GeneveOption, ...] = ()
    oam: bool = False
    critical: bool | None = None

    def pack(self) -> bytes:
        if not 0 <= self.vni <= MAX_VNI:
            raise ValueError(f"VNI out of range: {self.vni}")
        options = b"".join(option.pack() for option in self.options)
        if len(options) > MAX_OPTIONS_BYTES:
            raise ValueError(f"Geneve options exceed {MAX_OPTIONS_BYTES} bytes")
        critical = self.critical
        if critical is None:
            critical = any(option.critical for option in self.options)
        flags = (int(self.oam) << 7) | (int(critical) << 6)
        first = len(options) // 4  # version 0 in the top two bits
        return _HEADER.pack(first, flags, self.protocol_type, self.vni << 8) + options

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Geneve, int]:
        if len(buf) < offset + GENEVE_HEADER_BYTES:
            raise MalformedPacket(TRUNCATED_GENEVE, f"{len(buf) - offset} bytes")
        first, flags, protocol_type, vni_word = _HEADER.unpack_from(buf, offset)
        if first >> 6 != 0:
            raise MalformedPacket(BAD_GENEVE_VERSION, f"version {first >> 6}")
        options_start = offset + GENEVE_HEADER_BYTES
        end = options_start + (first & 0x3F) * 4
        if len(buf) < end:
            raise MalformedPacket(TRUNCATED_GENEVE, "options truncated")
        options_view = memoryview(buf)[:end]
        options: list[GeneveOption] = []
        position = options_start
        while position < end:
            option, position = GeneveOption.unpack(options_view, position)
            options.append(option)
        oam, critical = bool(flags & 0x80), bool(flags & 0x40)
        return cls(vni_word >> 8, protocol_type, tuple(options), oam, critical), end
