"""Helpers of the UDP underlay tests (loopback and namespaces): overlay frames between two
addresses, and draining a port until enough frames arrived."""

from __future__ import annotations

import select
import time

from smartnic.packet import encapsulate, ip_to_int
from smartnic.packet.overlay import OverlayKind
from smartnic.ports.udp import UdpUnderlayPort


def overlay_frame(inner: bytes, vni: int, src_ip: str, dst_ip: str,
                  kind: OverlayKind = "vxlan") -> bytes:
    return encapsulate(inner, kind=kind, vni=vni, outer_src_mac="02:00:00:00:00:01",
                       outer_dst_mac="02:00:00:00:00:02", outer_src_ip=ip_to_int(src_ip)[1],
                       outer_dst_ip=ip_to_int(dst_ip)[1], udp_src_port=50000)


def drain(port: UdpUnderlayPort, count: int, timeout_s: float = 3.0) -> list[bytes]:
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < count and time.monotonic() < deadline:
        select.select((port,), (), (), 0.05)
        frames.extend(port.rx_batch())
    return frames
