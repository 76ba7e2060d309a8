"""Valid frames of every kind the parser handles, built with scapy, for the packet tests."""

from __future__ import annotations

from typing import Any

from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Packet as ScapyPacket
from scapy.packet import Raw

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
IP4_A, IP4_B = "10.0.0.10", "10.0.0.11"
IP6_A, IP6_B = "2001:db8::a", "2001:db8::b"
MIN_FRAME_BYTES = 60


def padded(packet: ScapyPacket) -> bytes:
    raw = bytes(packet)
    return raw + bytes(max(0, MIN_FRAME_BYTES - len(raw)))


def eth(**fields: Any) -> ScapyPacket:
    """Ethernet header with explicit addresses: scapy would otherwise resolve them on the host."""
    return Ether(src=MAC_A, dst=MAC_B, **fields)


def inner_frame() -> bytes:
    return bytes(eth() / IP(src=IP4_A, dst=IP4_B, id=7) / UDP(sport=1000, dport=53) / (b"q" * 20))


TCP_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 2)), ("WScale", 7)]


def ipv4_frames() -> dict[str, bytes]:
    ip = IP(src=IP4_A, dst=IP4_B, id=99)
    return {
        "ipv4_tcp": padded(
            eth() / ip / TCP(sport=40000, dport=443, flags="S", options=TCP_OPTIONS)
        ),
        "ipv4_tcp_data": padded(eth() / ip / TCP(sport=1, dport=2, flags="PA") / (b"d" * 100)),
        "ipv4_udp": padded(eth() / ip / UDP(sport=5353, dport=53) / b"query"),
        "ipv4_icmp": padded(eth() / ip / ICMP(type=8, id=77, seq=3) / b"ping"),
        "ipv4_gre": padded(eth() / IP(src=IP4_A, dst=IP4_B, proto=47) / Raw(b"\x00" * 8)),
        "ipv4_options": padded(
            eth()
            / IP(src=IP4_A, dst=IP4_B, options=b"\x01\x07\x07\x04" + bytes(4) + b"\x01\x00\x00\x00")
            / UDP(sport=9, dport=9)
        ),
        "vlan_udp": padded(eth() / Dot1Q(vlan=42, prio=5) / ip / UDP(sport=7, dport=8) / b"v"),
        "ipv4_fragment_first": padded(
            eth()
            / IP(src=IP4_A, dst=IP4_B, id=5, flags="MF", proto=17)
            / Raw(b"\x00\x07\x00\x08\x00\x64" + bytes(10))
        ),
        "ipv4_fragment_later": padded(
            eth() / IP(src=IP4_A, dst=IP4_B, id=5, frag=2, proto=17) / Raw(b"tail")
        ),
    }


def ipv6_frames() -> dict[str, bytes]:
    ip = IPv6(src=IP6_A, dst=IP6_B)
    nd_ip = IPv6(src="fe80::a", dst="ff02::1:ff00:b", hlim=255)
    return {
        "ipv6_tcp": padded(
            eth() / ip / TCP(sport=40001, dport=22, flags="SA", options=TCP_OPTIONS)
        ),
        "ipv6_udp": padded(eth() / ip / UDP(sport=546, dport=547) / b"dhcp"),
        "ipv6_echo": padded(eth() / ip / ICMPv6EchoRequest(id=12, seq=1, data=b"ping6")),
        "ipv6_ns": padded(
            eth() / nd_ip / ICMPv6ND_NS(tgt="fe80::b") / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A)
        ),
        "ipv6_na": padded(
            eth()
            / IPv6(src="fe80::b", dst="fe80::a", hlim=255)
            / ICMPv6ND_NA(tgt="fe80::b", R=0, S=1, O=1)
            / ICMPv6NDOptDstLLAddr(lladdr=MAC_B)
        ),
        "ipv6_rs": padded(
            eth()
            / IPv6(src="fe80::a", dst="ff02::2", hlim=255)
            / ICMPv6ND_RS()
            / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A)
        ),
        "ipv6_ra": padded(
            eth()
            / IPv6(src="fe80::1", dst="ff02::1", hlim=255)
            / ICMPv6ND_RA()
            / ICMPv6NDOptSrcLLAddr(lladdr=MAC_B)
            / ICMPv6NDOptPrefixInfo(prefix="2001:db8::")
        ),
        "ipv6_ext_headers": padded(
            eth()
            / ip
            / IPv6ExtHdrHopByHop()
            / IPv6ExtHdrRouting(addresses=["2001:db8::c"])
            / IPv6ExtHdrDestOpt()
            / UDP(sport=11, dport=12)
            / b"ext"
        ),
        "ipv6_fragment_first": padded(
            eth()
            / ip
            / IPv6ExtHdrFragment(id=0xABCD, m=1, nh=17)
            / Raw(b"\x00\x0b\x00\x0c\x00\x64" + bytes(10))
        ),
        "ipv6_fragment_later": padded(
            eth() / ip / IPv6ExtHdrFragment(id=0xABCD, offset=2, nh=17) / Raw(b"last")
        ),
    }


def overlay_frames() -> dict[str, bytes]:
    outer_ip = IP(src="192.0.2.1", dst="192.0.2.2", flags="DF", id=0)
    return {
        "vxlan": bytes(
            eth()
            / outer_ip
            / UDP(sport=50000, dport=4789, chksum=0)
            / VXLAN(flags=0x08, vni=100)
            / inner_frame()
        ),
        "vxlan_gbp": bytes(
            eth()
            / outer_ip
            / UDP(sport=50000, dport=4789, chksum=0)
            / VXLAN(flags=0x88, gpid=0x1234, vni=100)
            / inner_frame()
        ),
        "geneve": bytes(
            eth()
            / outer_ip
            / UDP(sport=50001, dport=6081, chksum=0)
            / GENEVE(
                vni=200,
                proto=0x6558,
                options=[GeneveOptions(classid=0xFF01, type=1, data=b"\x00\x00\x00\x05")],
            )
            / inner_frame()
        ),
        "geneve_ipv6": bytes(
            eth()
            / IPv6(src=IP6_A, dst=IP6_B)
            / UDP(sport=50002, dport=6081)
            / GENEVE(vni=300, proto=0x6558)
            / inner_frame()
        ),
    }


def arp_frames() -> dict[str, bytes]:
    return {
        "arp_request": padded(
            Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff")
            / ARP(op=1, hwsrc=MAC_A, psrc=IP4_A, hwdst="00:00:00:00:00:00", pdst=IP4_B)
        ),
        "arp_reply": padded(
            Ether(src=MAC_B, dst=MAC_A)
            / ARP(op=2, hwsrc=MAC_B, psrc=IP4_B, hwdst=MAC_A, pdst=IP4_A)
        ),
    }


def all_frames() -> dict[str, bytes]:
    return {**ipv4_frames(), **ipv6_frames(), **overlay_frames(), **arp_frames()}
