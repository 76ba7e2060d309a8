"""UDP underlay port: overlay frames carried by the kernel's UDP socket, IPv4 only.

The simple underlay: the host's kernel owns the outer IPv4/UDP (routing, ARP, the wire),
and the engine still sees whole outer frames, so `smartnic.packet.decapsulate` and
`encapsulate` work unchanged.

  tx_batch  each frame is an outer Ethernet/IPv4/UDP/(VXLAN|Geneve)/inner frame as built
            by `encapsulate`; the UDP payload (tunnel header on) is sent with `sendto` to
            (outer destination IP, outer UDP destination port). The wire's source port is
            the bound `udp_port`, not the frame's flow-entropy port.
  rx_batch  drains datagrams and returns each as a synthesized frame: Ethernet with MACs
            02:5e:<IPv4 bytes> of each side, IPv4 (DF, TTL 64, correct checksum) from the
            datagram's source to `local_ip`, UDP from its real source port to `udp_port`
            with checksum 0 (none, RFC 768).

Config: local_ip (a specific address: it becomes the outer destination of every received
frame), udp_port (4789; bind one port per overlay kind, since `decapsulate` tells VXLAN
from Geneve by destination port), rcvbuf_bytes (socket receive buffer), tx_wait_s (how
long a full send buffer is waited for before a frame is dropped and counted).

Counters (`stats`): rx_packets, tx_packets, tx_invalid (frames that are not unfragmented
IPv4/UDP), tx_dropped (send buffer still full after tx_wait_s), tx_errors (other send
failures, e.g. no route).
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Sequence

ETHERTYPE_IPV4 = 0x0800
PROTO_UDP = 17
ETHERNET_HEADER_BYTES = 14
UDP_HEADER_BYTES = 8
IPV4_HEADER_BYTES = 20
MAC_PREFIX = b"\x02\x5e"
IPV4_DF = 0x4000
OUTER_TTL = 64
MAX_DATAGRAM_BYTES = 65535
_OUTER = struct.Struct("!BBHHHBBH4s4sHHHH")  # IPv4 header (no options) + UDP header
_INVARIANT_WORDS = 0x4500 + IPV4_DF + (OUTER_TTL << 8 | PROTO_UDP)


def _word_sum(address: bytes) -> int:
    return (address[0] << 8 | address[1]) + (address[2] << 8 | address[3])


class UdpUnderlayPort:
    def __init__(self, local_ip: str, udp_port: int = 4789, *, name: str | None = None,
                 rcvbuf_bytes: int = 4 << 20, tx_wait_s: float = 0.05) -> None:
        self._local = socket.inet_aton(local_ip)
        if self._local == bytes(4):
            raise ValueError("local_ip must be a specific IPv4 address, not 0.0.0.0")
        self.name = name or f"udp:{local_ip}:{udp_port}"
        self.udp_port = udp_port
        self.tx_wait_s = tx_wait_s
        self.stats = dict.fromkeys(
            ("rx_packets", "tx_packets", "tx_invalid", "tx_dropped", "tx_errors"), 0)
        self._peers: dict[str, tuple[bytes, int, bytes]] = {}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf_bytes)
            self._sock.bind((local_ip, udp_port))
            self._sock.setblocking(False)
        except BaseException:
            self._sock.close()
            raise

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        frames: list[bytes] = []
        recvfrom = self._sock.recvfrom
        while len(frames) < max_frames:
            try:
                payload, (peer_ip, peer_port) = recvfrom(MAX_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            frames.append(self._outer_headers(peer_ip, peer_port, len(payload)) + payload)
        self.stats["rx_packets"] += len(frames)
        return frames

    def _outer_headers(self, peer_ip: str, peer_port: int, payload_bytes: int) -> bytes:
        peer = self._peers.get(peer_ip)
        if peer is None:
            address = socket.inet_aton(peer_ip)
            ethernet = MAC_PREFIX + self._local + MAC_PREFIX + address + b"\x08\x00"
            partial = _INVARIANT_WORDS + _word_sum(address) + _word_sum(self._local)
            peer = self._peers[peer_ip] = (ethernet, partial, address)
        ethernet, partial, address = peer
        udp_bytes = UDP_HEADER_BYTES + payload_bytes
        total = IPV4_HEADER_BYTES + udp_bytes
        folded = partial + total
        folded = (folded & 0xFFFF) + (folded >> 16)
        folded = (folded & 0xFFFF) + (folded >> 16)
        return ethernet + _OUTER.pack(0x45, 0, total, 0, IPV4_DF, OUTER_TTL, PROTO_UDP,
                                      ~folded & 0xFFFF, address, self._local,
                                      peer_port, self.udp_port, udp_bytes, 0)

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        for frame in frames:
            target = _udp_target(frame)
            if target is None:
                self.stats["tx_invalid"] += 1
                continue
            payload, address = target
            self._send(payload, address)

    def _send(self, payload: memoryview, address: tuple[str, int]) -> None:
        for attempt in range(2):
            try:
                self._sock.sendto(payload, address)
            except (BlockingIOError, InterruptedError):
                if attempt == 0:
                    select.select((), (self._sock,), (), self.tx_wait_s)
                    continue
                self.stats["tx_dropped"] += 1
            except OSError:
                self.stats["tx_errors"] += 1
            else:
                self.stats["tx_packets"] += 1
            return


def _udp_target(frame: bytes) -> tuple[memoryview, tuple[str, int]] | None:
    """(UDP payload, (outer destination IP, UDP destination port)), or None if not IPv4/UDP."""
    if len(frame) < ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES:
        return None
    if frame[12] << 8 | frame[13] != ETHERTYPE_IPV4 or frame[14] >> 4 != 4:
        return None
    ip_header_bytes = (frame[14] & 0x0F) * 4
    fragment = (frame[20] << 8 | frame[21]) & 0x3FFF  # MF flag and fragment offset
    if frame[23] != PROTO_UDP or fragment or ip_header_bytes < IPV4_HEADER_BYTES:
        return None
    udp = ETHERNET_HEADER_BYTES + ip_header_bytes
    dst_port, udp_bytes = struct.unpack_from("!HH", frame, udp + 2)
    if udp_bytes < UDP_HEADER_BYTES or udp + udp_bytes > len(frame):
        return None
    payload = memoryview(frame)[udp + UDP_HEADER_BYTES:udp + udp_bytes]
    return payload, (socket.inet_ntoa(frame[30:34]), dst_port)
