"""Tools of the hostile-traffic tests: sending forged frames from inside a namespace, and
reading what a capture saw. Frames travel as hex lines on the standard input of a short
Python program run with `ip netns exec`, so nothing outlives the call."""

from __future__ import annotations

import sys
from pathlib import Path

from scapy.utils import rdpcap

from smartnic.net.linux import run_in

_UDP_SENDER = """
import socket, sys
source, target, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((source, 0))
for line in sys.stdin.read().split():
    sock.sendto(bytes.fromhex(line), (target, port))
"""

_RAW_SENDER = """
import socket, sys
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((sys.argv[1], 0))
for line in sys.stdin.read().split():
    sock.send(bytes.fromhex(line))
"""


def send_udp(netns: str, source: str, target: str, port: int, payloads: list[bytes]) -> None:
    """Datagrams from `source` (an address of `netns`) to `target`:`port`."""
    done = run_in(netns, [sys.executable, "-c", _UDP_SENDER, source, target, str(port)],
                  input_text="\n".join(p.hex() for p in payloads))
    assert done.returncode == 0, done.stderr


def send_raw(netns: str, device: str, frames: list[bytes]) -> None:
    """Ethernet frames written as they are on `device` of `netns` (AF_PACKET)."""
    done = run_in(netns, [sys.executable, "-c", _RAW_SENDER, device],
                  input_text="\n".join(f.hex() for f in frames))
    assert done.returncode == 0, done.stderr


def captured(path: Path) -> int:
    """How many frames a capture holds (its filter chose them)."""
    count = len(rdpcap(str(path))) if path.stat().st_size > 24 else 0
    path.unlink()
    return count
