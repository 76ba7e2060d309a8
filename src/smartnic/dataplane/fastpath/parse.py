"""Parse passes: each frame's IP and L4 headers into columns, as `parse_frame` reads them.

Inputs: `info` rows I_STATUS (only OK rows are looked at), I_START, I_END (columns.py).
Outputs: I_VERSION, I_PROTO, I_L4, I_IP_END, I_IP_TOTAL, I_TCP_FLAGS, I_L4_WORD, the
checksum ranges (I_SUM_END, I_PSEUDO), key words w0..w4 (flowkey.py), or a punt status.

The fast path only forwards what `smartnic.packet.parse_frame` accepts, with the same
fields. What it would reject is PUNT_MALFORMED (the slow path drops it under its named
reason); shapes left to the slow path are PUNT_FORMAT: 802.1Q tags, ARP, IPv4 options,
fragments, IPv6 extension headers, protocols other than TCP/UDP/ICMP/ICMPv6; neighbour
discovery is PUNT_L2 (the engine answers it). Checks mirrored: lengths against the frame,
the IPv4 header checksum, TCP data offset, UDP length, the TCP/UDP/ICMP/ICMPv6 checksums
(UDP checksum 0 means "none" in IPv4 and is invalid in IPv6, RFC 8200 §8.1).

l4_word packs what `keys.l4_identity` holds beyond addresses: sport << 16 | dport for
TCP/UDP, type << 24 | code << 16 | echo id for ICMP(v6) (the id only for echo messages,
as `parse_frame` records it).

Example:
    parse_l3(buf, info, keys, n); parse_l4(buf, info, keys, n, VM_SIDE)
    verify_checksums(buf, info, n)
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.fastpath.columns import (
    I_END,
    I_IP_END,
    I_IP_TOTAL,
    I_L4,
    I_L4_WORD,
    I_PROTO,
    I_PSEUDO,
    I_START,
    I_STATUS,
    I_SUM_END,
    I_TCP_FLAGS,
    I_VERSION,
)
from smartnic.dataplane.fastpath.wire import be16, be32, be64, checksum_ok
from smartnic.dataplane.kernel import kernel

OK = 0
PUNT_FORMAT = 1  # a shape left to the slow path
PUNT_MALFORMED = 2  # the slow path drops it with a named reason
PUNT_L2 = 3  # neighbour discovery: answered by the engine
PUNT_SOURCE = 4  # a VM frame whose source MAC is not its ENI's
PUNT_ADMISSION = 5  # an underlay check would refuse it, or needs Python (plain VXLAN)
PUNT_MISS = 6  # no flow entry
PUNT_STALE = 7  # the entry's Program generation is old
PUNT_CONNTRACK = 8  # a tracked connection expired, was freed, or a SYN reopens it
PUNT_MTU = 9  # larger than the path MTU: fragmentation or ICMP by the slow path
DROPPED = -1  # refused by the admission pre-pass (counted there): neither replayed nor punted
PUNT_REASONS = ("ok", "format", "malformed", "l2", "source_mac", "admission", "miss",
                "stale", "conntrack", "mtu")

PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ICMPV6 = 1, 6, 17, 58
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD


@kernel
def parse_l3(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int) -> None:
    """Frames too short for Ethernet, or neither IPv4 nor IPv6, then each IP family."""
    for i in range(count):
        if info[I_STATUS, i] != OK:
            continue
        if info[I_END, i] - info[I_START, i] < 14:
            info[I_STATUS, i] = PUNT_MALFORMED
            continue
        ethertype = be16(buf, info[I_START, i] + 12)
        if (ethertype != ETHERTYPE_IPV4) & (ethertype != ETHERTYPE_IPV6):
            info[I_STATUS, i] = PUNT_FORMAT  # 802.1Q, ARP, anything else
    parse_ipv4(buf, info, keys, count)
    parse_ipv6(buf, info, keys, count)


@kernel
def parse_ipv4(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int) -> None:
    for i in range(count):
        l3, end = info[I_START, i] + 14, info[I_END, i]
        if info[I_STATUS, i] != OK:
            continue
        if be16(buf, l3 - 2) != ETHERTYPE_IPV4:
            continue
        status = PUNT_MALFORMED
        if end - l3 >= 20:
            version_ihl, total, fragment = buf[l3], be16(buf, l3 + 2), be16(buf, l3 + 6)
            if (version_ihl >> 4 == 4) & (version_ihl & 0x0F >= 5):
                status = OK
                if (version_ihl & 0x0F != 5) | (fragment & 0x3FFF != 0):
                    status = PUNT_FORMAT  # options, or a fragment (MF or an offset)
                elif (total < 20) | (l3 + total > end):
                    status = PUNT_MALFORMED
        info[I_STATUS, i] = status
        if status != OK:
            continue
        src, dst = be32(buf, l3 + 12), be32(buf, l3 + 16)
        info[I_VERSION, i], info[I_PROTO, i] = 4, buf[l3 + 9]
        info[I_L4, i], info[I_IP_END, i], info[I_IP_TOTAL, i] = l3 + 20, l3 + total, total
        info[I_PSEUDO, i] = src + dst
        keys[i, 0], keys[i, 1], keys[i, 2], keys[i, 3] = 0, src, 0, dst


@kernel
def parse_ipv6(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int) -> None:
    for i in range(count):
        l3, end = info[I_START, i] + 14, info[I_END, i]
        if info[I_STATUS, i] != OK:
            continue
        if be16(buf, l3 - 2) != ETHERTYPE_IPV6:
            continue
        status = PUNT_MALFORMED
        if end - l3 >= 40:
            next_header, payload = buf[l3 + 6], be16(buf, l3 + 4)
            if buf[l3] >> 4 == 6:
                status = OK
                if (next_header != PROTO_TCP) & (next_header != PROTO_UDP) \
                        & (next_header != PROTO_ICMPV6):
                    status = PUNT_FORMAT  # extension headers, or another protocol
                elif l3 + 40 + payload > end:
                    status = PUNT_MALFORMED
        info[I_STATUS, i] = status
        if status != OK:
            continue
        pseudo = 0
        for word in range(4):  # source, destination: two 64-bit halves each
            keys[i, word] = be64(buf, l3 + 8 + 8 * word)
            pseudo += be32(buf, l3 + 8 + 8 * word) + be32(buf, l3 + 12 + 8 * word)
        info[I_VERSION, i], info[I_PROTO, i] = 6, next_header
        info[I_L4, i], info[I_IP_END, i] = l3 + 40, l3 + 40 + payload
        info[I_IP_TOTAL, i], info[I_PSEUDO, i] = 40 + payload, pseudo


@kernel
def parse_l4(buf: np.ndarray, info: np.ndarray, keys: np.ndarray, count: int,
             side: int) -> None:
    """L4 fields, the checksum range, and key word w4 (side, version, proto, l4_word)."""
    for i in range(count):
        if info[I_STATUS, i] != OK:
            continue
        l4, end, proto, version = info[I_L4, i], info[I_IP_END, i], info[I_PROTO, i], \
            info[I_VERSION, i]
        size, pseudo = end - l4, info[I_PSEUDO, i]
        status, word, flags, sum_end = PUNT_MALFORMED, 0, np.int64(0), end
        icmp = ((proto == PROTO_ICMP) & (version == 4)) | ((proto == PROTO_ICMPV6) & (version == 6))
        if size < 8:
            pass
        elif proto == PROTO_TCP:
            if size >= 20:
                header = (np.int64(buf[l4 + 12]) >> 4) * 4
                if (header >= 20) & (header <= size):
                    status, word, flags = OK, be32(buf, l4), np.int64(buf[l4 + 13])
            pseudo += PROTO_TCP + size
        elif proto == PROTO_UDP:
            length, checksum = be16(buf, l4 + 4), be16(buf, l4 + 6)
            if (length >= 8) & (length <= size):
                status, word = OK, be32(buf, l4)
                sum_end = l4 + length if checksum != 0 else -1  # 0: "none"
                if (checksum == 0) & (version == 6):
                    status = PUNT_MALFORMED
            pseudo += PROTO_UDP + length
        elif icmp:
            status, word = _icmp_word(np.int64(buf[l4]), np.int64(buf[l4 + 1]),
                                      be16(buf, l4 + 4), version)
            pseudo = -1 if version == 4 else pseudo + PROTO_ICMPV6 + size
        else:
            status = PUNT_FORMAT
        info[I_STATUS, i], info[I_L4_WORD, i], info[I_TCP_FLAGS, i] = status, word, flags
        info[I_SUM_END, i], info[I_PSEUDO, i] = sum_end, pseudo
        keys[i, 4] = np.uint64((side << 48) | (version << 40) | (proto << 32) | word)


@kernel
def _icmp_word(icmp_type: np.int64, code: np.int64, rest: int,
               version: int) -> tuple[int, int]:
    """(status, l4_word): neighbour discovery is left to the engine; the id only for echo."""
    if (version == 6) & (icmp_type >= 133) & (icmp_type <= 136):
        return PUNT_L2, 0
    if version == 4:
        echo = (icmp_type == 0) | (icmp_type == 8)
    else:
        echo = (icmp_type == 128) | (icmp_type == 129)
    return OK, int((icmp_type << 24) | (code << 16) | (rest if echo else 0))


@kernel
def verify_checksums(buf: np.ndarray, info: np.ndarray, count: int) -> None:
    """The IPv4 header checksum, then the L4 checksum over [I_L4, I_SUM_END)."""
    for i in range(count):
        if info[I_STATUS, i] != OK:
            continue
        if info[I_VERSION, i] == 4:
            l3 = info[I_START, i] + 14
            total = be32(buf, l3) + be32(buf, l3 + 4) + be32(buf, l3 + 8) \
                + be32(buf, l3 + 12) + be32(buf, l3 + 16)
            if not checksum_ok(total):
                info[I_STATUS, i] = PUNT_MALFORMED
                continue
        end = info[I_SUM_END, i]
        if end < 0:
            continue
        at, total = info[I_L4, i], max(info[I_PSEUDO, i], 0)
        while at + 4 <= end:
            total += be32(buf, at)
            at += 4
        if at + 2 <= end:
            total += be16(buf, at)
            at += 2
        if at < end:
            total += np.int64(buf[at]) << 8
        if not checksum_ok(total):
            info[I_STATUS, i] = PUNT_MALFORMED
