"""Helpers of the data-plane tests: a cloud on a virtual clock and scenario-style sends."""

from __future__ import annotations

from typing import Any

from smartnic.clock import VirtualClock
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from smartnic.net.journey import Journey
from smartnic.scenarios.sends import build_send

SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def make_cloud(config: Config, clock: VirtualClock | None = None, **options: Any) -> Cloud:
    options.setdefault("responsive", False)
    return Cloud(config, clock or VirtualClock(), **options)


def frames_for(cloud: Cloud, **spec: Any) -> tuple[bytes, ...]:
    """The frames of one scenario `send` step (several when the sender fragments)."""
    spec["from"] = spec.pop("src_eni")
    return build_send(cloud.program, spec).frames


def send(cloud: Cloud, **spec: Any) -> Journey:
    """Send one packet as a scenario step would; `src_eni` is the sender or 'internet'."""
    origin = spec["src_eni"]
    combined = Journey()
    for frame in frames_for(cloud, **spec):
        journey = (cloud.send_from_internet(frame) if origin == "internet"
                   else cloud.send_from_vm(origin, frame))
        combined.events += journey.events
        combined.received += journey.received
    return combined


def engine_drops(cloud: Cloud) -> int:
    """All drops counted by every host engine and the edge, over every scope."""
    total = 0
    for counters in [*(h.ctx.counters for h in cloud.hosts.values()), cloud.edge.counters]:
        total += sum(scope.get("drops", 0) for scope in counters.snapshot().values())
    return total


def ipv4_header_ok(frame: bytes) -> bool:
    """The IPv4 header checksum verifies (checked with scapy, independently of smartnic)."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    from scapy.utils import checksum

    raw = bytes(Ether(frame)[IP])
    return checksum(raw[:(raw[0] & 0x0F) * 4]) == 0


def l4_checksum_ok(frame: bytes) -> bool:
    """The TCP/UDP/ICMP/ICMPv6 checksum of an unfragmented packet verifies (scapy)."""
    from scapy.layers.inet import IP, in4_chksum
    from scapy.layers.inet6 import IPv6, in6_chksum
    from scapy.layers.l2 import Ether
    from scapy.utils import checksum

    packet = Ether(frame)
    if IP in packet:
        ip = packet[IP]
        segment = bytes(ip)[(bytes(ip)[0] & 0x0F) * 4:ip.len]
        if ip.proto == 1:
            return checksum(segment) == 0
        return in4_chksum(ip.proto, ip, segment) == 0
    ip6 = packet[IPv6]
    segment = bytes(ip6)[40:40 + ip6.plen]
    return in6_chksum(ip6.nh, ip6, segment) == 0


def underlay_frame(cloud: Cloud, inner: bytes, *, src_ip: int, dst_ip: int, vni: int,
                   sender_tag: int | None, kind: str = "vxlan") -> bytes:
    """`inner` encapsulated as one host (or anyone) would put it on the underlay."""
    from smartnic.dataplane.runner import underlay_mac
    from smartnic.packet import encapsulate

    return encapsulate(inner, kind=kind, vni=vni,  # type: ignore[arg-type]
                       outer_src_mac=underlay_mac(src_ip), outer_dst_mac=underlay_mac(dst_ip),
                       outer_src_ip=src_ip, outer_dst_ip=dst_ip, udp_src_port=50000,
                       sender_tag=sender_tag)


def inner_to(cloud: Cloud, frame: bytes, receiver: str) -> bytes:
    """A VM frame with the MACs a sending host writes for `receiver` (router rewrite)."""
    eni = cloud.program.enis[receiver]
    return eni.mac + cloud.program.vpcs[eni.vpc_id].router_mac + frame[12:]
