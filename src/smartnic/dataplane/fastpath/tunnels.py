"""Outer-header templates for underlay outputs: one per (overlay, peer, VNI, sender tag).

Inputs: a `ToUnderlay` output. Outputs: a template index; `header` uint8[T, 64] holds the
outer Ethernet + IPv4 + UDP + VXLAN/Geneve bytes exactly as `runner.overlay_frame` writes
them (they are produced by it, from an empty inner frame), and `info` int64[T, 2] the
header length and the sum of its IPv4 header words without total length and checksum.
Per packet the kernel patches the IPv4 total length and checksum, the UDP source port
(per flow) and the UDP length; the UDP checksum stays 0, as `encapsulate` sends it.
Bounds: a template index only grows (arrays doubled here, between kernel runs; fetch
`arrays` after `index`), and a header is refused unless it holds the outer IPv4 and UDP
headers and fits MAX_HEADER_BYTES, what the arena reserves per packet (core.py).

Example:
    tunnels = Tunnels(own_ip, "vxlan")
    t = tunnels.index(output)   # the same index for every flow to that peer and VNI
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from smartnic.dataplane.actions import ToUnderlay
from smartnic.dataplane.runner import overlay_frame
from smartnic.packet.overlay import OverlayKind

MAX_HEADER_BYTES = 64
T_LENGTH, T_IP_SUM = 0, 1
IP_OFFSET = 14
UDP_OFFSET = 34


class TunnelArrays(NamedTuple):
    header: np.ndarray
    info: np.ndarray


class Tunnels:
    def __init__(self, own_ip: int, kind: OverlayKind, capacity: int = 64) -> None:
        self.own_ip = own_ip
        self.kind = kind
        self.arrays = TunnelArrays(np.zeros((capacity, MAX_HEADER_BYTES), np.uint8),
                                   np.zeros((capacity, 2), np.int64))
        self._index: dict[tuple[int, int, int | None], int] = {}

    def index(self, output: ToUnderlay) -> int:
        key = (output.underlay_ip, output.vni, output.sender_tag)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = self._add(output)
        return found

    def _add(self, output: ToUnderlay) -> int:
        blank = replace(output, eth_src=bytes(6), eth_dst=bytes(6), udp_src_port=0)
        header = overlay_frame(self.kind, self.own_ip, blank, bytes(14))[:-14]
        if not UDP_OFFSET + 8 <= len(header) <= MAX_HEADER_BYTES:
            # replay.emit patches the outer IPv4/UDP fields and the output arena reserves
            # MAX_HEADER_BYTES per packet: any other header would be written out of place
            raise ValueError(f"{self.kind} outer headers of {len(header)} bytes do not fit "
                             f"a tunnel template of {MAX_HEADER_BYTES}")
        slot = len(self._index)
        if slot == self.arrays.header.shape[0]:
            self._grow()
        ip = bytearray(header[IP_OFFSET:IP_OFFSET + 20])
        ip[2:4] = ip[10:12] = b"\0\0"
        words = np.frombuffer(bytes(ip), ">u2")
        self.arrays.header[slot, :len(header)] = np.frombuffer(header, np.uint8)
        self.arrays.info[slot] = (len(header), int(words.sum()))
        return slot

    def _grow(self) -> None:
        size = self.arrays.header.shape[0]
        header = np.zeros((2 * size, MAX_HEADER_BYTES), np.uint8)
        info = np.zeros((2 * size, 2), np.int64)
        header[:size], info[:size] = self.arrays
        self.arrays = TunnelArrays(header, info)
