"""CIDR blocks as integers, for matching packet addresses without ipaddress objects."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cidr:
    version: int
    network: int
    prefix_len: int

    @property
    def mask(self) -> int:
        bits = 32 if self.version == 4 else 128
        return ((1 << bits) - 1) ^ ((1 << (bits - self.prefix_len)) - 1)

    @property
    def size(self) -> int:
        return 1 << ((32 if self.version == 4 else 128) - self.prefix_len)

    @property
    def last(self) -> int:
        return self.network + self.size - 1

    def contains(self, version: int, address: int) -> bool:
        return version == self.version and (address & self.mask) == self.network

    def covers_all(self) -> bool:
        """0.0.0.0/0 or ::/0: the 'all addresses' peer of SG-R20."""
        return self.prefix_len == 0

    def __str__(self) -> str:
        net = ipaddress.ip_network((self.network, self.prefix_len))
        return str(net)


def parse_cidr(text: str) -> Cidr:
    net = ipaddress.ip_network(text, strict=False)
    return Cidr(net.version, int(net.network_address), net.prefixlen)


def parse_ip(text: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(text)
    return addr.version, int(addr)


@functools.lru_cache(maxsize=4096)  # flow logs format the same addresses for every flow
def format_ip(version: int, value: int) -> str:
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))
