"""pcap files (libpcap format, Ethernet link type) that tshark and Wireshark open."""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import BinaryIO

MAGIC_MICROSECONDS = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


class PcapWriter:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = self.path.open("wb")
        self._file.write(struct.pack("<IHHiIII", MAGIC_MICROSECONDS, 2, 4, 0, 0, SNAPLEN,
                                     LINKTYPE_ETHERNET))
        self.frames = 0

    def write(self, frame: bytes, timestamp_s: float | None = None) -> None:
        stamp = time.time() if timestamp_s is None else timestamp_s
        seconds = int(stamp)
        micros = int(round((stamp - seconds) * 1e6)) % 1_000_000
        captured = frame[:SNAPLEN]
        self._file.write(struct.pack("<IIII", seconds, micros, len(captured), len(frame)))
        self._file.write(captured)
        self.frames += 1

    def close(self) -> None:
        self._file.close()


def read_pcap(path: str | Path) -> list[tuple[float, bytes]]:
    """All frames of a pcap written by PcapWriter (or any microsecond little-endian pcap)."""
    data = Path(path).read_bytes()
    magic, = struct.unpack_from("<I", data, 0)
    if magic != MAGIC_MICROSECONDS:
        raise ValueError(f"{path}: not a little-endian microsecond pcap")
    frames, offset = [], 24
    while offset + 16 <= len(data):
        seconds, micros, captured, _ = struct.unpack_from("<IIII", data, offset)
        offset += 16
        frames.append((seconds + micros / 1e6, data[offset:offset + captured]))
        offset += captured
    return frames
