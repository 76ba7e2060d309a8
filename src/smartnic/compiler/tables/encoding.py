"""Addresses and CIDRs as pairs of uint64 words (IPv4 as ::ffff:a.b.c.d), version kept apart.

The same encoding as conntrack keys (conntrack/rows.py), so kernels can build keys from
packet columns directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smartnic.compiler.cidr import Cidr
from smartnic.compiler.protocols import L4Match

V4_MAPPED = 0xFFFF << 32
LOW64 = (1 << 64) - 1
ALL128 = (1 << 128) - 1


def address_words(version: int, value: int) -> tuple[int, int]:
    mapped = V4_MAPPED | value if version == 4 else value
    return mapped >> 64, mapped & LOW64


def cidr_words(cidr: Cidr) -> tuple[int, int, int, int]:
    """(network high, network low, mask high, mask low) in the 128-bit space."""
    if cidr.version == 4:
        network = V4_MAPPED | cidr.network
        mask = ALL128 ^ ((1 << (32 - cidr.prefix_len)) - 1)
    else:
        network, mask = cidr.network, cidr.mask
    return network >> 64, network & LOW64, mask >> 64, mask & LOW64


def cidr_row(cidr: Cidr) -> list[int]:
    return [cidr.version, *cidr_words(cidr)]


def l4_columns(matches: Sequence[L4Match]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Protocol, (port lo, hi) and (ICMP type, code) columns of a list of rule L4 matches."""
    proto = np.array([m.proto for m in matches], np.int64)
    ports = np.array([(m.port_lo, m.port_hi) for m in matches], np.int64).reshape(-1, 2)
    icmp = np.array([(m.icmp_type, m.icmp_code) for m in matches], np.int64).reshape(-1, 2)
    return proto, ports, icmp
