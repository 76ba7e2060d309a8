"""A UDP packet generator on a PACKET_TX_RING (AF_PACKET, TPACKET_V2, qdisc bypass).

Run inside the client namespace as a script:

    python txring.py --dev eth0 --frame <hex> --seconds 3 [--rate PPS] [--cpu N] [--new-flows]

It fills every ring slot with the same Ethernet frame once, then loops: mark all free slots
"send request", flush them with one send(). With `--new-flows` (an IPv4 TCP or UDP frame
without options), every frame sent gets the next source port (1024-65535, then the next
destination port of the frame's 100-port range) with its L4 checksum updated (RFC 1624), so
each is the first packet of a new flow: a connection flood when the frame is a SYN. One
system call moves thousands of frames, so on this class of machine it offers several
hundred thousand 64-byte frames a second from one core, several times what iperf3 -u does
(one sendmsg per datagram through the UDP stack).
The socket gets a large send buffer of its own (SO_SNDBUFFORCE) because frames stay charged
to it while they wait in another CPU's backlog; the system-wide defaults are left alone.
On exit it prints one JSON line: {"submitted": frames handed to the kernel, "seconds": ...}.
`udp_frame` builds the frame and is shared with the measurement code.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import mmap
import os
import signal
import socket
import struct
import time

import numpy as np

SOL_PACKET = 263
PACKET_VERSION = 10
PACKET_TX_RING = 13
PACKET_QDISC_BYPASS = 20
TPACKET_V2 = 1
SO_SNDBUFFORCE = 32
TP_STATUS_AVAILABLE = 0
TP_STATUS_SEND_REQUEST = 1
TPACKET2_DATA_OFFSET = 32  # TPACKET_ALIGN(sizeof(struct tpacket2_hdr)): frame data starts here
RING_FRAMES = 4096
SNDBUF_BYTES = 64 << 20
_stop = {"requested": False}  # set by SIGTERM: end the run early but still report


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_frame(src_mac: str, dst_mac: str, src_ip: str, dst_ip: str, sport: int, dport: int,
              frame_bytes: int = 64) -> bytes:
    """An Ethernet/IPv4/UDP frame of `frame_bytes` on the wire counting the 4-byte FCS
    (64 -> 18 bytes of UDP payload), with valid IPv4 and UDP checksums."""
    payload = b"\xa5" * max(frame_bytes - 4 - 14 - 20 - 8, 0)
    src, dst = ipaddress.IPv4Address(src_ip).packed, ipaddress.IPv4Address(dst_ip).packed
    udp_len = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp = udp[:6] + struct.pack("!H", _checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    return eth + b"\x08\x00" + ip + udp


def tcp_syn_frame(src_mac: str, dst_mac: str, src_ip: str, dst_ip: str, sport: int,
                  dport: int) -> bytes:
    """An Ethernet/IPv4/TCP SYN (no options, no payload) with valid checksums."""
    src, dst = ipaddress.IPv4Address(src_ip).packed, ipaddress.IPv4Address(dst_ip).packed
    tcp = struct.pack("!HHIIBBHHH", sport, dport, sport * 7919, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    return eth + b"\x08\x00" + ip + tcp


class PortRotor:
    """Gives ring slots the next (source, destination) port pair of a flood of new flows."""

    L4 = 14 + 20  # ports of an IPv4 frame without options
    SPORTS, DPORTS = 65536 - 1024, 100

    def __init__(self, ring: mmap.mmap, slot: int, frame: bytes) -> None:
        self.bytes = np.frombuffer(ring, dtype=np.uint8)
        self.slot = slot
        self.checksum_at = self.L4 + (16 if frame[23] == 6 else 6)
        self.template = [int.from_bytes(frame[at:at + 2], "big")
                         for at in (self.L4, self.L4 + 2, self.checksum_at)]
        self.sent = 0

    def rotate(self, slots: np.ndarray) -> None:
        n = self.sent + np.arange(slots.size, dtype=np.int64)
        self.sent += int(slots.size)
        sport = 1024 + n % self.SPORTS
        dport = self.template[1] + (n // self.SPORTS) % self.DPORTS
        sport0, dport0, checksum0 = self.template
        total = (~checksum0 & 0xFFFF) + (~sport0 & 0xFFFF) + sport + (~dport0 & 0xFFFF) + dport
        for _ in range(3):
            total = (total & 0xFFFF) + (total >> 16)
        base = slots.astype(np.int64) * self.slot + TPACKET2_DATA_OFFSET
        for offset, values in ((self.L4, sport), (self.L4 + 2, dport),
                               (self.checksum_at, ~total & 0xFFFF)):
            self.bytes[base + offset] = (values >> 8) & 0xFF
            self.bytes[base + offset + 1] = values & 0xFF


def _open_ring(dev: str, frame: bytes) -> tuple[socket.socket, mmap.mmap, int]:
    """A bound TX-ring socket whose slots all hold `frame`; returns (socket, ring, slot size)."""
    slot = 1 << max(7, (TPACKET2_DATA_OFFSET + len(frame) - 1).bit_length())
    block = max(slot, mmap.PAGESIZE)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: never receives
    sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
    sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, SNDBUF_BYTES)
    req = struct.pack("IIII", block, RING_FRAMES * slot // block, slot, RING_FRAMES)
    sock.setsockopt(SOL_PACKET, PACKET_TX_RING, req)
    sock.bind((dev, 0))
    ring = mmap.mmap(sock.fileno(), RING_FRAMES * slot)
    for i in range(RING_FRAMES):
        base = i * slot
        ring[base + 4:base + 12] = struct.pack("II", len(frame), len(frame))  # tp_len, snaplen
        ring[base + TPACKET2_DATA_OFFSET:base + TPACKET2_DATA_OFFSET + len(frame)] = frame
    return sock, ring, slot


def send_loop(sock: socket.socket, ring: mmap.mmap, slot: int, seconds: float,
              rate: float | None, rotor: PortRotor | None = None) -> int:
    """Keep the ring full for `seconds` (paced to `rate` frames/s when given); returns the
    number of frames handed to the kernel."""
    status = np.frombuffer(ring, dtype=np.uint32)[:: slot // 4]
    start = time.monotonic()
    submitted, now = 0, start
    while now - start < seconds and not _stop["requested"]:
        free = np.flatnonzero(status == TP_STATUS_AVAILABLE)
        if rate is not None:
            free = free[: max(int(rate * (now - start)) - submitted, 0)]
        if free.size:
            if rotor is not None:
                rotor.rotate(free)
            status[free] = TP_STATUS_SEND_REQUEST
            submitted += int(free.size)
        try:
            sock.send(b"", socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            pass  # ring slots stay queued; the next flush retries them
        now = time.monotonic()
    del status
    return submitted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", required=True)
    parser.add_argument("--frame", required=True, help="the frame as hex")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=None, help="frames per second")
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--new-flows", action="store_true",
                        help="a new source/destination port pair in every frame sent")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    signal.signal(signal.SIGTERM, lambda *_: _stop.update(requested=True))
    frame = bytes.fromhex(args.frame)
    sock, ring, slot = _open_ring(args.dev, frame)
    rotor = PortRotor(ring, slot, frame) if args.new_flows else None
    start = time.monotonic()
    submitted = send_loop(sock, ring, slot, args.seconds, args.rate, rotor)
    del rotor  # its view of the ring must go before the ring closes
    print(json.dumps({"submitted": submitted, "seconds": time.monotonic() - start}), flush=True)


if __name__ == "__main__":
    main()
