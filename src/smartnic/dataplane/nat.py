"""1:1 IPv4 address rewrite of the internet gateway, with checksum fix-ups.

The IPv4 header checksum is recomputed; TCP/UDP checksums are updated incrementally
(RFC 1624) because the pseudo-header changes. Non-first fragments carry no L4 header and
only get the IP header rewritten. A UDP checksum of zero ("none") stays zero.
"""

from __future__ import annotations

from smartnic.packet import Packet, internet_checksum

TCP_CHECKSUM_OFFSET = 16
UDP_CHECKSUM_OFFSET = 6


def rewrite_ipv4(frame: bytes, pkt: Packet, *, src: int | None = None,
                 dst: int | None = None) -> bytes:
    buf = bytearray(frame)
    ip = pkt.l3_offset
    old = bytes(buf[ip + 12:ip + 20])
    if src is not None:
        buf[ip + 12:ip + 16] = src.to_bytes(4, "big")
    if dst is not None:
        buf[ip + 16:ip + 20] = dst.to_bytes(4, "big")
    header_bytes = (buf[ip] & 0x0F) * 4
    buf[ip + 10:ip + 12] = b"\x00\x00"
    buf[ip + 10:ip + 12] = internet_checksum(bytes(buf[ip:ip + header_bytes])).to_bytes(2, "big")
    if pkt.l4_offset is not None and pkt.proto in (6, 17):
        at = pkt.l4_offset + (TCP_CHECKSUM_OFFSET if pkt.proto == 6 else UDP_CHECKSUM_OFFSET)
        _adjust(buf, at, old, bytes(buf[ip + 12:ip + 20]), zero_means_none=pkt.proto == 17)
    return bytes(buf)


def _adjust(buf: bytearray, at: int, old: bytes, new: bytes, zero_means_none: bool) -> None:
    checksum = int.from_bytes(buf[at:at + 2], "big")
    if zero_means_none and checksum == 0:
        return
    total = ~checksum & 0xFFFF
    for i in range(0, len(old), 2):
        total += (~int.from_bytes(old[i:i + 2], "big") & 0xFFFF)
        total += int.from_bytes(new[i:i + 2], "big")
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    result = ~total & 0xFFFF
    if zero_means_none and result == 0:
        result = 0xFFFF
    buf[at:at + 2] = result.to_bytes(2, "big")
