"""IP address and CIDR helpers shared by normalization, validation and the AWS importers.

Parses text into `ipaddress` objects and raises `ConfigError(object_id, field, ...)` on bad
input, so callers never handle `ValueError`. Also holds the address ranges AWS treats
specially (ADDR-R1 link-local and RFC 1918 ranges, ADDR-R5 reserved route ranges) and the
per-subnet reserved addresses (ADDR-R3 IPv4, ADDR-R4 IPv6).
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from smartnic.model.errors import ConfigError

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

LINK_LOCAL_V4 = IPv4Network("169.254.0.0/16")
RESERVED_ROUTE_RANGES: tuple[Network, ...] = (  # ADDR-R5
    IPv4Network("169.254.168.0/22"),
    IPv6Network("fd00:ec2::/32"),
)
RFC1918: tuple[IPv4Network, ...] = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)
RESTRICTED_198_19 = IPv4Network("198.19.0.0/16")
RESTRICTED_172_31 = IPv4Network("172.31.0.0/16")
CARRIER_GRADE_NAT = IPv4Network("100.64.0.0/10")
# Ranges that can never be a public (Elastic) IPv4 address. Documentation ranges
# (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) stay usable as stand-ins for public IPs.
NON_PUBLIC_V4: tuple[IPv4Network, ...] = (
    IPv4Network("0.0.0.0/8"),
    *RFC1918,
    CARRIER_GRADE_NAT,
    IPv4Network("127.0.0.0/8"),
    LINK_LOCAL_V4,
    IPv4Network("192.0.0.0/24"),
    IPv4Network("198.18.0.0/15"),
    IPv4Network("224.0.0.0/4"),
    IPv4Network("240.0.0.0/4"),
)


def parse_cidr(text: object, object_id: str, field: str) -> Network:
    """A CIDR with an explicit prefix length; host bits are cleared (NACL-R12, SG-R7).

    Where AWS refuses host bits (VPC and subnet blocks) the block is kept as written by
    `canonical_block` and refused by `check_aligned`; see docs/validation.md per field.
    """
    if not isinstance(text, str) or "/" not in text:
        raise ConfigError(object_id, field, f"{text!r} is not a CIDR (address/prefix)")
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as error:
        raise ConfigError(object_id, field, f"{text!r} is not a valid CIDR: {error}") from None


def canonical_cidr(text: object, object_id: str, field: str) -> str:
    """The canonical text of a CIDR: `100.68.0.18/18` → `100.68.0.0/18`."""
    return str(parse_cidr(text, object_id, field))


def canonical_block(text: object, object_id: str, field: str) -> str:
    """A VPC or subnet block in canonical text with its host bits kept (`10.77.1.5/24`
    stays so), for `check_aligned` to refuse once the prefix length is known to be right."""
    network = parse_cidr(text, object_id, field)
    interface = ipaddress.ip_interface(str(text).strip())
    return f"{interface.ip}/{network.prefixlen}"


def check_aligned(text: str, object_id: str, field: str, rule: str) -> None:
    """Refuse a block with host bits set, as CreateVpc / CreateSubnet / Associate*CidrBlock
    do (`rule`: the spec rule cited)."""
    network = parse_cidr(text, object_id, field)
    if str(network) != text:
        raise ConfigError(
            object_id,
            field,
            f"{text} has host bits set: AWS refuses it, the block would be {network} ({rule})",
        )


def parse_address(text: object, object_id: str, field: str) -> Address:
    """A single IPv4 or IPv6 address (no prefix length)."""
    if not isinstance(text, str):
        raise ConfigError(object_id, field, f"{text!r} is not an IP address")
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise ConfigError(object_id, field, f"{text!r} is not a valid IP address") from None


def canonical_address(text: object, object_id: str, field: str) -> str:
    return str(parse_address(text, object_id, field))


def family_name(network: Network | Address) -> str:
    return "IPv4" if network.version == 4 else "IPv6"


def networks_overlap(first: Network, second: Network) -> bool:
    return first.version == second.version and first.overlaps(second)  # type: ignore[arg-type]


def network_within(inner: Network, outer: Network) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def is_public_ipv4(address: Address) -> bool:
    if address.version != 4:
        return False
    return not any(address in network for network in NON_PUBLIC_V4)


def reserved_subnet_addresses(subnet: Network) -> set[Address]:
    """ADDR-R3: network, +1 router, +2 DNS, +3 future, broadcast. ADDR-R4: first four, last."""
    first = subnet.network_address
    return {first, first + 1, first + 2, first + 3, subnet.broadcast_address}


def rfc1918_block(network: IPv4Network) -> IPv4Network | None:
    return next((block for block in RFC1918 if network.subnet_of(block)), None)
