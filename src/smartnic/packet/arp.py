"""ARP for Ethernet/IPv4 (RFC 826): the only hardware/protocol pair a VPC carries.

Wire layout: htype(2)=1 ptype(2)=0x0800 hlen(1)=6 plen(1)=4 op(2)
sender_mac(6) sender_ip(4) target_mac(6) target_ip(4) — 28 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from smartnic.packet.errors import BAD_ARP, TRUNCATED_ARP, MalformedPacket

ARP_REQUEST = 1
ARP_REPLY = 2
ARP_LENGTH_BYTES = 28

_FIXED = struct.Struct("!HHBBH")
_HTYPE_ETHERNET = 1
_PTYPE_IPV4 = 0x0800


@dataclass(frozen=True, slots=True)
class Arp:
    """ARP request or reply; IPs are ints."""

    op: int
    sender_mac: bytes
    sender_ip: int
    target_mac: bytes
    target_ip: int

    def pack(self) -> bytes:
        return b"".join(
            (
                _FIXED.pack(_HTYPE_ETHERNET, _PTYPE_IPV4, 6, 4, self.op),
                self.sender_mac,
                self.sender_ip.to_bytes(4, "big"),
                self.target_mac,
                self.target_ip.to_bytes(4, "big"),
            )
        )

    @classmethod
    def unpack(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Arp, int]:
        end = offset + ARP_LENGTH_BYTES
        if len(buf) < end:
            raise MalformedPacket(TRUNCATED_ARP, f"{len(buf) - offset} bytes")
        htype, ptype, hlen, plen, op = _FIXED.unpack_from(buf, offset)
        if (htype, ptype, hlen, plen) != (_HTYPE_ETHERNET, _PTYPE_IPV4, 6, 4):
            raise MalformedPacket(BAD_ARP, f"htype={htype} ptype={ptype:#x} hlen={hlen}")
        if op not in (ARP_REQUEST, ARP_REPLY):
            raise MalformedPacket(BAD_ARP, f"op={op}")
        arp = cls(
            op,
            bytes(buf[offset + 8 : offset + 14]),
            int.from_bytes(buf[offset + 14 : offset + 18], "big"),
            bytes(buf[offset + 18 : offset + 24]),
            int.from_bytes(buf[offset + 24 : offset + 28], "big"),
        )
        return arp, end
