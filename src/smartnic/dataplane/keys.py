"""Flow keys: what identifies a flow for the cache, per input side; and its entropy.

`flow_entropy(pkt)` is the 32-bit hash behind the outer UDP source port (RFC 7348 §5):
integer mixing only, so the kernels that install flows compute the same value
(`entropy_hash` over the address words and the L3/L4 word of fastpath/flowkey.py).
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack.index import mix64
from smartnic.dataplane.kernel import inline_kernel
from smartnic.packet.parse import Packet

LOW64 = (1 << 64) - 1


def l4_identity(pkt: Packet) -> tuple[int, ...]:
    return (pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.sport, pkt.dport,
            pkt.icmp_type, pkt.icmp_code, pkt.icmp_id)


def vm_origin(eni_tag: int) -> tuple[int, ...]:
    """Who handed us the packet, on the VM side: the sending ENI."""
    return (0, eni_tag)


def underlay_origin(outer_src_ip: int, vni: int, sender_tag: int,
                    receiver_tag: int) -> tuple[int, ...]:
    """Who handed us the packet, on the underlay side, and for which local ENI."""
    return (1, outer_src_ip, vni, sender_tag, receiver_tag)


def flow_key(origin: tuple[int, ...], pkt: Packet) -> tuple[int, ...]:
    return (*origin, *l4_identity(pkt))


def fragment_key(origin: tuple[int, ...], pkt: Packet) -> tuple[int, ...]:
    """A datagram's fragments share the origin and IP identification, not ports; keeping
    the origin stops another sender's fragment from borrowing a verdict (SG-R9a)."""
    return (*origin, pkt.ip_version, pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.ip_id)


@inline_kernel
def entropy_hash(s_hi: np.uint64, s_lo: np.uint64, d_hi: np.uint64, d_lo: np.uint64,
                 l3l4: np.uint64) -> int:
    """A 32-bit hash of a flow's addresses and version/protocol/L4 word."""
    h = mix64(s_hi ^ np.uint64(0x9E3779B97F4A7C15))
    h = mix64(h ^ s_lo)
    h = mix64(h ^ d_hi)
    h = mix64(h ^ d_lo)
    h = mix64(h ^ l3l4)
    return int(h & np.uint64(0xFFFFFFFF))


def l3l4_word(version: int, proto: int, sport: int, dport: int, icmp_type: int,
              icmp_code: int, icmp_id: int) -> int:
    """version << 40 | proto << 32 | the L4 word: ports, or ICMP type, code and id."""
    if proto in (1, 58):
        l4 = icmp_type << 24 | icmp_code << 16 | icmp_id
    else:
        l4 = sport << 16 | dport
    return version << 40 | proto << 32 | l4


def flow_entropy(pkt: Packet) -> int:
    word = l3l4_word(pkt.ip_version, pkt.proto, pkt.sport, pkt.dport, pkt.icmp_type,
                     pkt.icmp_code, pkt.icmp_id)
    return entropy_hash(np.uint64(pkt.src_ip >> 64), np.uint64(pkt.src_ip & LOW64),
                        np.uint64(pkt.dst_ip >> 64), np.uint64(pkt.dst_ip & LOW64),
                        np.uint64(word))
