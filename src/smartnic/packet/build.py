"""Frame builders, gathered in one place for tests, scenarios and simulated VMs.

See `frames` (IP/ARP/ND frames), `fragment` (IPv4 fragmentation) and
`replies` (ICMP errors and echo replies) for the details.
"""

from __future__ import annotations

from smartnic.packet.fragment import fragment_ipv4
from smartnic.packet.frames import (
    L4Fields,
    build_arp,
    build_frame,
    build_neighbor_advertisement,
    build_neighbor_solicitation,
    ethernet_frame,
    finish_l4_checksum,
    ip_frame,
    ip_packet,
    pad_frame,
)
from smartnic.packet.replies import (
    build_icmp_echo_reply,
    build_icmp_frag_needed,
    build_icmpv6_echo_reply,
    build_icmpv6_packet_too_big,
)

__all__ = [
    "L4Fields",
    "build_arp",
    "build_frame",
    "build_icmp_echo_reply",
    "build_icmp_frag_needed",
    "build_icmpv6_echo_reply",
    "build_icmpv6_packet_too_big",
    "build_neighbor_advertisement",
    "build_neighbor_solicitation",
    "ethernet_frame",
    "finish_l4_checksum",
    "fragment_ipv4",
    "ip_frame",
    "ip_packet",
    "pad_frame",
]
