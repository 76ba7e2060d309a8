"""Ethernet II header with an optional single 802.1Q tag (IEEE 802.1Q).

Wire layout: dst(6) src(6) [0x8100 TCI(2)] ethertype(2). `ethertype` is the
type after the tag, i.e. the payload's protocol.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import TRUNCATED_ETHERNET, TRUNCATED_VLAN, MalformedPacket

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_TRANSPARENT_BRIDGING = 0x6558

ETHERNET_HEADER_BYTES = 14
VLAN_TAG_BYTES = 4
MIN_FRAME_BYTES = 60  # without FCS; shorter frames are zero-padded on transmit

_ETHERTYPE = struct.Struct("!H")
_TAGGED = struct.Struct("!HH")


@dataclass(frozen=True, slots=True)
class Ethernet:
    """Ethernet header; `vlan_id` None means untagged."""

    dst: bytes
    src: bytes
    ethertype: int
    vlan_id: int | None = None
    vlan_pcp: int = 0
    vlan_dei: bool = False

    @property
    def header_length_bytes(self) -> int:
        return ETHERNET_HEADER_BYTES + (VLAN_TAG_BYTES if self.vlan_id is not None else 0)

    def pack(self) -> bytes:
        if self.vlan_id is None:
            return self.dst + self.src + _ETHERTYPE.pack(self.ethertype)
        tci = (self.vlan_pcp << 13) | (int(self.vlan_dei) << 12) | self.vlan_id
        return (
            self.dst
            + self.src
            + _TAGGED.pack(ETHERTYPE_VLAN, tci)
            + _ETHERTYPE.pack(self.ethertype)
        )

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Ethernet, int]:
        end = offset + ETHERNET_HEADER_BYTES
        if len(buf) < end:
            raise MalformedPacket(TRUNCATED_ETHERNET, f"{len(buf) - offset} bytes")
        dst = bytes(buf[offset : offset + 6])
        src = bytes(buf[offset + 6 : offset + 12])
        (ethertype,) = _ETHERTYPE.unpack_from(buf, offset + 12)
        if ethertype != ETHERTYPE_VLAN:
            return cls(dst, src, ethertype), end
        if len(buf) < end + VLAN_TAG_BYTES:
            raise MalformedPacket(TRUNCATED_VLAN, f"{len(buf) - offset} bytes")
        tci, inner_type = _TAGGED.unpack_from(buf, end)
        header = cls(dst, src, inner_type, tci & 0x0FFF, tci >> 13, bool(tci & 0x1000))
        return header, end + VLAN_TAG_BYTES
