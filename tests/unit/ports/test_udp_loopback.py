"""The UDP underlay on loopback (no root): batches of every size, valid and invalid frames
mixed, arrive complete and in order, whether the messages are filled one by one (small
batches), with numpy (from VECTOR_MIN_FRAMES) or sent per datagram; the counters agree."""

from __future__ import annotations

import pytest

from smartnic.packet import decapsulate
from smartnic.ports.udp import VECTOR_MIN_FRAMES, UdpUnderlayPort
from tests.unit.ports.udp_overlay import drain, overlay_frame

SENDER, RECEIVER = "127.0.0.1", "127.0.0.2"
INNER = bytes.fromhex("0200000000aa0200000000bb0800") + bytes(range(40))


def overlay(vni: int, body: bytes = INNER) -> bytes:
    return overlay_frame(body, vni, SENDER, RECEIVER)


@pytest.fixture(params=[True, False], ids=["mmsg", "per-datagram"])
def pair(request: pytest.FixtureRequest, unused_udp_port: int):
    sender = UdpUnderlayPort(SENDER, unused_udp_port, batched=request.param)
    receiver = UdpUnderlayPort(RECEIVER, unused_udp_port, batched=request.param)
    yield sender, receiver
    sender.close()
    receiver.close()


@pytest.fixture
def unused_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((RECEIVER, 0))
        return int(probe.getsockname()[1])


def retarget(frame: bytes, port: int) -> bytes:
    """The frame with UDP destination `port` (checksum 0: none)."""
    return frame[:36] + port.to_bytes(2, "big") + frame[38:40] + b"\0\0" + frame[42:]


@pytest.mark.parametrize("size", [1, 5, VECTOR_MIN_FRAMES - 1, VECTOR_MIN_FRAMES, 100])
def test_batches_of_every_size_arrive_in_order(pair, size: int) -> None:
    sender, receiver = pair
    port = receiver.udp_port
    frames, expected = [], []
    for index in range(size):
        body = INNER + index.to_bytes(2, "big") * (index % 50)
        frames.append(retarget(overlay(index, body), port))
        expected.append(body)
        if index % 7 == 3:
            frames.append(frames[-1][:30])  # cut short: not sent
    sender.tx_batch(frames)
    got = drain(receiver, size)
    assert [decapsulate(frame, vxlan_ports=(port,))[1] for frame in got] == expected
    assert sender.stats["tx_packets"] == size
    assert sender.stats["tx_invalid"] == len(frames) - size
    assert receiver.stats["rx_packets"] == size
    if sender.batched:
        assert sender.stats["tx_sends"] <= 2


@pytest.mark.parametrize("batched", [True, False], ids=["mmsg", "per-datagram"])
def test_senders_without_end_do_not_grow_the_port(unused_udp_port: int, batched: bool) -> None:
    """The underlay is not trusted: datagrams from ever new source addresses (all of
    127/8 is this host) leave the port's cache of outer headers bounded (batched mode
    keeps none: a kernel writes each datagram's headers), and every frame still names
    its real sender."""
    receiver = UdpUnderlayPort(RECEIVER, unused_udp_port, peer_cache_entries=8,
                               batched=batched)
    sources = [f"127.0.{index // 200 + 3}.{index % 200 + 1}" for index in range(40)]
    try:
        for source in sources:
            sender = UdpUnderlayPort(source, unused_udp_port)
            try:
                sender.tx_batch([retarget(overlay_frame(INNER, 7, source, RECEIVER),
                                          unused_udp_port)])
            finally:
                sender.close()
            (frame,) = drain(receiver, 1)
            assert receiver.cached_peers <= 8
            assert frame[26:30] == bytes(int(part) for part in source.split("."))
            assert decapsulate(frame, vxlan_ports=(unused_udp_port,))[1] == INNER
    finally:
        receiver.close()
    assert receiver.stats["rx_packets"] == len(sources)
