"""TAP port: Ethernet frames through a Linux TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI).

Opens (creating if needed) the TAP interface `ifname` in the current network namespace;
the interface lives while the port is open (it is not made persistent) and must be set
up (`ip link set <ifname> up`) by whoever owns the topology. One system call a frame:
`rx_batch` reads until EAGAIN or `max_frames`, `tx_batch` writes each frame. Simple and
slow (~100k frames/s here); AfPacketPort is the fast path.

Counters (`stats`): rx_packets, tx_packets, tx_dropped (writes the kernel refused, e.g.
while the interface is down).
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Sequence

TUN_PATH = "/dev/net/tun"
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFNAMSIZ = 16
MAX_FRAME_BYTES = 65536 + 18


class TapPort:
    def __init__(self, ifname: str) -> None:
        if not 0 < len(ifname.encode()) < IFNAMSIZ:
            raise ValueError(f"interface name must be 1-15 bytes, got {ifname!r}")
        self.stats = dict.fromkeys(("rx_packets", "tx_packets", "tx_dropped"), 0)
        self._fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            request = struct.pack("16sH22x", ifname.encode(), IFF_TAP | IFF_NO_PI)
            reply = fcntl.ioctl(self._fd, TUNSETIFF, request)
        except BaseException:
            os.close(self._fd)
            raise
        self.name = reply[:IFNAMSIZ].rstrip(b"\0").decode()

    def fileno(self) -> int:
        return self._fd

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        frames: list[bytes] = []
        while len(frames) < max_frames:
            try:
                frames.append(os.read(self._fd, MAX_FRAME_BYTES))
            except (BlockingIOError, InterruptedError):
                break
        self.stats["rx_packets"] += len(frames)
        return frames

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        for frame in frames:
            try:
                os.write(self._fd, frame)
            except OSError:
                self.stats["tx_dropped"] += 1
            else:
                self.stats["tx_packets"] += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
