"""Packet columns the admission kernels read: `meta` int64[n, 8] and `addr` uint64[n, 4].

meta: ip version, protocol, source port, destination port, ICMP type, ICMP code, ICMP id,
TCP flags. addr: source (high, low), destination (high, low) in the encoding of
compiler/tables/encoding.py. Built here from parsed packets; the fast path fills the same
columns from frames directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smartnic.compiler.tables.encoding import address_words
from smartnic.packet import Packet

META_COLUMNS = 8


def packet_columns(packets: Sequence[Packet]) -> tuple[np.ndarray, np.ndarray]:
    meta = np.zeros((len(packets), META_COLUMNS), np.int64)
    addr = np.zeros((len(packets), 4), np.uint64)
    for i, pkt in enumerate(packets):
        meta[i] = (pkt.ip_version, pkt.proto, pkt.sport, pkt.dport, pkt.icmp_type,
                   pkt.icmp_code, pkt.icmp_id, pkt.tcp_flags)
        addr[i] = (*address_words(pkt.ip_version, pkt.src_ip),
                   *address_words(pkt.ip_version, pkt.dst_ip))
    return meta, addr
