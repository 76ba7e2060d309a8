"""TapPort inside a namespace: frames written come out of the interface, frames sent on the
interface are read back, and the interface goes away with the port."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from smartnic.ports.tap import TapPort

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def frame(index: int, size: int = 64) -> bytes:
    head = bytes.fromhex("020000000002" "020000000001" "88b5") + index.to_bytes(4, "big")
    return head + bytes(size - len(head))


def incoming(sock: socket.socket, count: int, timeout_s: float = 2.0) -> list[bytes]:
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < count and time.monotonic() < deadline:
        if select.select((sock,), (), (), 0.05)[0]:
            data, address = sock.recvfrom(65536)
            if address[2] != PACKET_OUTGOING:
                frames.append(data)
    return frames


@pytest.mark.netns
def test_tap_round_trip(make_netns: Callable[[], str], open_in_netns,
                        netns_tools: SimpleNamespace) -> None:
    ns = make_netns()
    name = f"tp{ns[-9:]}".replace("-", "")
    port = open_in_netns(ns, lambda: TapPort(name))
    assert port.name == name
    netns_tools.ip("link", "set", name, "up", ns=ns)

    def raw() -> socket.socket:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((name, ETH_P_ALL))
        return sock

    wire = open_in_netns(ns, raw)
    written = [frame(0), frame(1, 1514)]
    port.tx_batch(written)
    assert incoming(wire, 2) == written
    sent = [frame(2), frame(3, 600)]
    for data in sent:
        wire.send(data)
    select.select((port,), (), (), 1.0)
    time.sleep(0.01)
    assert port.rx_batch() == sent
    assert port.rx_batch() == []
    assert port.stats == {"rx_packets": 2, "tx_packets": 2, "tx_dropped": 0}
    port.close()
    assert name not in netns_tools.ip("-o", "link", ns=ns)
