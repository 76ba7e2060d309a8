"""The UDP underlay's receive kernel (ports/udp_frames.py) against its Python twin
(`UdpUnderlayPort._outer_headers`, the per-datagram path) and scapy: the same frame for
every sender, port and payload size; truncated and oversized datagrams skipped and counted,
never written past their slot. Then on loopback: a batched port hands over the same frames
as arrays (`rx_packets`) and as bytes (`rx_batch`) as the per-datagram port."""

from __future__ import annotations

import select
import socket
import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from smartnic.ports import mmsg
from smartnic.ports.udp import RX_SLOTS, RX_SLOTS_MAX, UdpUnderlayPort
from smartnic.ports.udp_frames import HEADROOM, MSG_TRUNC, frame_datagrams
from tests.unit.ports.udp_overlay import overlay_frame

LOCAL = "127.0.0.2"
SLOT = 256


def run_kernel(datagrams: list[tuple[bytes, int, bytes]], flags: list[int] | None = None,
               lengths: list[int] | None = None, local_port: int = 4789
               ) -> tuple[mmsg.Receiver, np.ndarray, np.ndarray, int, int]:
    """Lay out (peer IPv4 bytes, peer port, payload) as recvmmsg would, run the kernel."""
    receiver = mmsg.Receiver(len(datagrams), SLOT, HEADROOM)
    for i, (address, port, payload) in enumerate(datagrams):
        at = i * SLOT + HEADROOM
        receiver.buffer[at:at + len(payload)] = np.frombuffer(payload, np.uint8)
        receiver.words[i, mmsg.LENGTH_WORD] = lengths[i] if lengths else len(payload)
        receiver.words[i, mmsg.FLAGS_WORD] = flags[i] if flags else 0
        receiver.names[i, 2:4] = np.frombuffer(port.to_bytes(2, "big"), np.uint8)
        receiver.names[i, 4:8] = np.frombuffer(address, np.uint8)
    starts = np.zeros(len(datagrams), np.int64)
    sizes = np.zeros(len(datagrams), np.int32)
    kept, skipped = frame_datagrams(
        receiver.buffer, SLOT, len(datagrams), receiver.words, mmsg.LENGTH_WORD,
        mmsg.FLAGS_WORD, receiver.names, np.frombuffer(socket.inet_aton(LOCAL), np.uint8),
        local_port, starts, sizes)
    return receiver, starts, sizes, kept, skipped


datagram = st.tuples(st.binary(min_size=4, max_size=4), st.integers(0, 65535),
                     st.binary(max_size=SLOT - HEADROOM))


@settings(max_examples=150, deadline=None)
@given(st.lists(datagram, min_size=1, max_size=6))
def test_each_frame_equals_the_per_datagram_twin_and_parses(
        datagrams: list[tuple[bytes, int, bytes]]) -> None:
    twin = UdpUnderlayPort(LOCAL, 0, batched=False)  # its udp_port stays 0, as given
    try:
        receiver, starts, sizes, kept, skipped = run_kernel(datagrams, local_port=0)
        assert (kept, skipped) == (len(datagrams), 0)
        for i, (address, port, payload) in enumerate(datagrams):
            frame = receiver.buffer[starts[i]:starts[i] + sizes[i]].tobytes()
            assert starts[i] == i * SLOT
            assert frame == twin._outer_headers(address, port, len(payload)) + payload
            packet = Ether(frame)
            assert packet[IP].src == socket.inet_ntoa(address) and packet[IP].dst == LOCAL
            recomputed = packet[IP].copy()
            del recomputed.chksum  # scapy computes it again when building
            assert IP(bytes(recomputed)).chksum == packet[IP].chksum
            assert packet[UDP].sport == port and packet[UDP].dport == 0
            assert bytes(packet[UDP].payload) == payload
    finally:
        twin.close()


def _ip_checksum_ok(frame: bytes) -> bool:
    words = sum(int.from_bytes(frame[14 + k:16 + k], "big") for k in range(0, 20, 2))
    while words >> 16:
        words = (words & 0xFFFF) + (words >> 16)
    return words == 0xFFFF


def test_the_ipv4_checksum_verifies() -> None:
    receiver, starts, sizes, kept, _ = run_kernel([(bytes([198, 18, 0, 1]), 50000, b"x" * 30)])
    frame = receiver.buffer[starts[0]:starts[0] + sizes[0]].tobytes()
    assert kept == 1 and _ip_checksum_ok(frame)


def test_truncated_and_oversized_datagrams_are_skipped_within_their_slots() -> None:
    datagrams = [(bytes([10, 0, 0, n]), 1000 + n, bytes([n]) * 20) for n in range(4)]
    receiver, starts, sizes, kept, skipped = run_kernel(
        datagrams, flags=[0, MSG_TRUNC, 0, 0], lengths=[20, 20, SLOT, 20])
    assert (kept, skipped) == (2, 2)
    assert starts[:kept].tolist() == [0, 3 * SLOT]
    untouched = receiver.buffer[SLOT:3 * SLOT].reshape(2, SLOT)[:, :HEADROOM]
    assert not untouched.any()  # nothing written in front of the skipped datagrams


def test_batched_port_hands_over_what_the_per_datagram_port_does() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCAL, 0))
        port = int(probe.getsockname()[1])
    body = bytes.fromhex("0200000000aa0200000000bb0800") + bytes(range(40))
    frames = [overlay_frame(body + bytes([n]) * n, n, "127.0.0.1", LOCAL) for n in range(40)]
    frames = [f[:36] + port.to_bytes(2, "big") + f[38:] for f in frames]
    sender = UdpUnderlayPort("127.0.0.1", port)
    got: dict[str, list[bytes]] = {}
    try:
        for mode in ("rx_packets", "rx_batch", "per-datagram"):
            receiver = UdpUnderlayPort(LOCAL, port, batched=mode != "per-datagram")
            try:
                sender.tx_batch(frames)
                got[mode] = drain(receiver, len(frames), packets=mode == "rx_packets")
            finally:
                receiver.close()
    finally:
        sender.close()
    assert len(got["per-datagram"]) == len(frames)
    assert got["rx_packets"] == got["rx_batch"] == got["per-datagram"]


def drain(port: UdpUnderlayPort, count: int, *, packets: bool) -> list[bytes]:
    frames: list[bytes] = []
    deadline = time.monotonic() + 3.0
    while len(frames) < count and time.monotonic() < deadline:
        select.select((port,), (), (), 0.05)
        frames.extend(port.rx_packets().frames() if packets else port.rx_batch())
    return frames


def test_a_caller_asking_for_more_grows_the_receive_slots_up_to_the_cap() -> None:
    """The engine asks its underlay for 256 frames per local ENI: one receive call then
    takes that many (up to RX_SLOTS_MAX), each still framed in its own slot."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((LOCAL, 0))
        port = int(probe.getsockname()[1])
    receiver = UdpUnderlayPort(LOCAL, port)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for n in range(RX_SLOTS + 100):
                sender.sendto(n.to_bytes(4, "big") * 8, (LOCAL, port))
        select.select((receiver,), (), (), 1.0)
        batch = receiver.rx_packets(RX_SLOTS_MAX * 4)
        assert len(batch) == RX_SLOTS + 100
        payloads = [frame[HEADROOM:] for frame in batch.frames()]
        assert payloads == [n.to_bytes(4, "big") * 8 for n in range(RX_SLOTS + 100)]
        assert receiver.rx_packets(RX_SLOTS_MAX * 4).frames() == []
    finally:
        receiver.close()
