"""Address helpers: IPs as (version, int) pairs and MACs as 6-byte strings.

The data plane carries IP addresses as plain ints plus a version (4 or 6) so
they fit numpy columns and compare cheaply; text appears only at the edges.
"""

from __future__ import annotations

import ipaddress

MAC_LENGTH_BYTES = 6
BROADCAST_MAC = b"\xff" * MAC_LENGTH_BYTES


def ip_to_int(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[int, int]:
    """Return (version, value) for an IPv4/IPv6 address given as text or ipaddress object."""
    parsed = ipaddress.ip_address(address) if isinstance(address, str) else address
    return parsed.version, int(parsed)


def int_to_ip(version: int, value: int) -> str:
    """Return the canonical text form of an IP address held as an int."""
    if version == 4:
        return str(ipaddress.IPv4Address(value))
    if version == 6:
        return str(ipaddress.IPv6Address(value))
    raise ValueError(f"IP version must be 4 or 6, got {version}")


def mac_to_bytes(text: str) -> bytes:
    """Parse "02:00:00:00:00:01" (":" or "-" separated) into 6 bytes."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != MAC_LENGTH_BYTES or any(len(part) != 2 for part in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(part, 16) for part in parts)


def bytes_to_mac(mac: bytes) -> str:
    """Format 6 bytes as lower-case colon-separated text."""
    if len(mac) != MAC_LENGTH_BYTES:
        raise ValueError(f"MAC must be 6 bytes, got {len(mac)}")
    return ":".join(f"{octet:02x}" for octet in mac)


def mac_is_multicast(mac: bytes) -> bool:
    """True for group addresses (I/G bit set), which includes broadcast."""
    return bool(mac[0] & 0x01)


def as_mac_bytes(mac: bytes | str) -> bytes:
    """Accept a MAC as bytes or text; builders use this for convenience."""
    if isinstance(mac, str):
        return mac_to_bytes(mac)
    if len(mac) != MAC_LENGTH_BYTES:
        raise ValueError(f"MAC must be 6 bytes, got {len(mac)}")
    return bytes(mac)


def solicited_node_multicast(target_ip: int) -> int:
    """IPv6 solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 §2.7.1)."""
    return 0xFF02_0000_0000_0000_0000_0001_FF00_0000 | (target_ip & 0xFFFFFF)


def ipv6_multicast_mac(ip: int) -> bytes:
    """Ethernet address for an IPv6 multicast group: 33:33 + low 32 bits (RFC 2464 §7)."""
    return b"\x33\x33" + (ip & 0xFFFFFFFF).to_bytes(4, "big")
