"""Malformed-packet error and its stable reason names.

Every decoder in `smartnic.packet` signals a bad or short input by raising
`MalformedPacket` with one of the reason strings below, never IndexError or
struct.error. Reasons are stable snake_case names: the data plane counts drops
by them and traces print them.
"""

from __future__ import annotations

TRUNCATED_ETHERNET = "truncated_ethernet"
TRUNCATED_VLAN = "truncated_vlan"
TRUNCATED_ARP = "truncated_arp"
BAD_ARP = "bad_arp"
TRUNCATED_IPV4 = "truncated_ipv4"
BAD_IPV4_VERSION = "bad_ipv4_version"
BAD_IPV4_HEADER_LENGTH = "bad_ipv4_header_length"
BAD_IPV4_TOTAL_LENGTH = "bad_ipv4_total_length"
BAD_IPV4_CHECKSUM = "bad_ipv4_checksum"
BAD_IPV4_OPTIONS = "bad_ipv4_options"
TRUNCATED_IPV6 = "truncated_ipv6"
BAD_IPV6_VERSION = "bad_ipv6_version"
BAD_IPV6_PAYLOAD_LENGTH = "bad_ipv6_payload_length"
BAD_IPV6_EXTENSION_HEADER = "bad_ipv6_extension_header"
TRUNCATED_TCP = "truncated_tcp"
BAD_TCP_DATA_OFFSET = "bad_tcp_data_offset"
BAD_TCP_CHECKSUM = "bad_tcp_checksum"
TRUNCATED_UDP = "truncated_udp"
BAD_UDP_LENGTH = "bad_udp_length"
BAD_UDP_CHECKSUM = "bad_udp_checksum"
TRUNCATED_ICMP = "truncated_icmp"
BAD_ICMP_CHECKSUM = "bad_icmp_checksum"
TRUNCATED_ICMPV6 = "truncated_icmpv6"
BAD_ICMPV6_CHECKSUM = "bad_icmpv6_checksum"
BAD_ND_OPTION = "bad_nd_option"
TRUNCATED_VXLAN = "truncated_vxlan"
BAD_VXLAN_FLAGS = "bad_vxlan_flags"
TRUNCATED_GENEVE = "truncated_geneve"
BAD_GENEVE_VERSION = "bad_geneve_version"
BAD_GENEVE_OPTIONS = "bad_geneve_options"
UNSUPPORTED_GENEVE_PROTOCOL = "unsupported_geneve_protocol"
UNSUPPORTED_ETHERTYPE = "unsupported_ethertype"
BAD_FRAGMENT = "bad_fragment"
NOT_OVERLAY = "not_overlay"
FRAGMENTED_OVERLAY = "fragmented_overlay"

ALL_REASONS: tuple[str, ...] = (
    TRUNCATED_ETHERNET,
    TRUNCATED_VLAN,
    TRUNCATED_ARP,
    BAD_ARP,
    TRUNCATED_IPV4,
    BAD_IPV4_VERSION,
    BAD_IPV4_HEADER_LENGTH,
    BAD_IPV4_TOTAL_LENGTH,
    BAD_IPV4_CHECKSUM,
    BAD_IPV4_OPTIONS,
    TRUNCATED_IPV6,
    BAD_IPV6_VERSION,
    BAD_IPV6_PAYLOAD_LENGTH,
    BAD_IPV6_EXTENSION_HEADER,
    TRUNCATED_TCP,
    BAD_TCP_DATA_OFFSET,
    BAD_TCP_CHECKSUM,
    TRUNCATED_UDP,
    BAD_UDP_LENGTH,
    BAD_UDP_CHECKSUM,
    TRUNCATED_ICMP,
    BAD_ICMP_CHECKSUM,
    TRUNCATED_ICMPV6,
    BAD_ICMPV6_CHECKSUM,
    BAD_ND_OPTION,
    TRUNCATED_VXLAN,
    BAD_VXLAN_FLAGS,
    TRUNCATED_GENEVE,
    BAD_GENEVE_VERSION,
    BAD_GENEVE_OPTIONS,
    UNSUPPORTED_GENEVE_PROTOCOL,
    UNSUPPORTED_ETHERTYPE,
    BAD_FRAGMENT,
    NOT_OVERLAY,
    FRAGMENTED_OVERLAY,
)


class MalformedPacket(Exception):
    """A frame that cannot be decoded; `.reason` is one of `ALL_REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
