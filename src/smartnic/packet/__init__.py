"""Packet codecs: header classes (bytes <-> fields), the frame parser, builders, overlay.

Every decoder raises `MalformedPacket` (with a stable `.reason`) on bad input.
IPs are ints with a version; MACs are 6-byte strings.
"""

from smartnic.packet.addr import (
    bytes_to_mac,
    int_to_ip,
    ip_to_int,
    mac_is_multicast,
    mac_to_bytes,
)
from smartnic.packet.arp import Arp
from smartnic.packet.build import (
    build_arp,
    build_frame,
    build_icmp_echo_reply,
    build_icmp_frag_needed,
    build_icmpv6_echo_reply,
    build_icmpv6_packet_too_big,
    build_neighbor_advertisement,
    build_neighbor_solicitation,
    fragment_ipv4,
)
from smartnic.packet.checksum import internet_checksum, l4_checksum, pseudo_header_sum
from smartnic.packet.errors import ALL_REASONS, MalformedPacket
from smartnic.packet.ethernet import Ethernet
from smartnic.packet.geneve import Geneve, GeneveOption
from smartnic.packet.icmp import Icmp
from smartnic.packet.icmpv6 import Icmpv6, NdMessage, NdOption
from smartnic.packet.ipv4 import Ipv4
from smartnic.packet.ipv6 import Ipv6, Ipv6Fragment, Ipv6OptionHeader, walk_extension_headers
from smartnic.packet.overlay import OverlayHeader, decapsulate, encapsulate, flow_entropy_port
from smartnic.packet.parse import Packet, parse_frame
from smartnic.packet.tcp import Tcp
from smartnic.packet.udp import Udp
from smartnic.packet.vxlan import Vxlan

__all__ = [
    "ALL_REASONS",
    "Arp",
    "Ethernet",
    "Geneve",
    "GeneveOption",
    "Icmp",
    "Icmpv6",
    "Ipv4",
    "Ipv6",
    "Ipv6Fragment",
    "Ipv6OptionHeader",
    "MalformedPacket",
    "NdMessage",
    "NdOption",
    "OverlayHeader",
    "Packet",
    "Tcp",
    "Udp",
    "Vxlan",
    "build_arp",
    "build_frame",
    "build_icmp_echo_reply",
    "build_icmp_frag_needed",
    "build_icmpv6_echo_reply",
    "build_icmpv6_packet_too_big",
    "build_neighbor_advertisement",
    "build_neighbor_solicitation",
    "bytes_to_mac",
    "decapsulate",
    "encapsulate",
    "flow_entropy_port",
    "fragment_ipv4",
    "int_to_ip",
    "internet_checksum",
    "ip_to_int",
    "l4_checksum",
    "mac_is_multicast",
    "mac_to_bytes",
    "parse_frame",
    "pseudo_header_sum",
    "walk_extension_headers",
]
