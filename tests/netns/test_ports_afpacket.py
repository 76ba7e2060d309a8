"""AfPacketPort on a real veth between two namespaces: RX ring, TX ring, jumbo, loopback.

The ring walk's numba kernel is also checked against its pure-Python twin on a synthetic
block (no root needed for that one).
"""

from __future__ import annotations

import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from pyroute2.ethtool import Ethtool

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.packet import parse_frame
from smartnic.ports import tpacket as tp
from smartnic.ports.afpacket import AfPacketPort

PEER_MAC = bytes.fromhex("020000000001")
ENGINE_MAC = bytes.fromhex("020000000002")
ETHERTYPE_TEST = b"\x88\xb5"  # IEEE 802 local experimental
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; not exported by the socket module


def frame(index: int, size: int = 64, dst: bytes = ENGINE_MAC) -> bytes:
    head = dst + PEER_MAC + ETHERTYPE_TEST + index.to_bytes(4, "big")
    return head + bytes((index + k) & 0xFF for k in range(size - len(head)))


@pytest.fixture
def link(make_netns: Callable[[], str],
         make_veth: Callable[..., tuple[str, str]]) -> SimpleNamespace:
    """Two namespaces joined by a veth with MTU 9000: `engine` side and `peer` side."""
    engine_ns, peer_ns = make_netns(), make_netns()
    engine_if, peer_if = make_veth(engine_ns, peer_ns, mtu=9000)
    return SimpleNamespace(engine_ns=engine_ns, engine_if=engine_if,
                           peer_ns=peer_ns, peer_if=peer_if)


def raw_socket(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(tp.ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    sock.bind((ifname, tp.ETH_P_ALL))
    sock.setblocking(False)
    return sock


def raw_receive(sock: socket.socket, count: int, timeout_s: float = 3.0) -> list[bytes]:
    """Frames arriving on `sock` (not those it or others sent out), until `count` or timeout."""
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < count and time.monotonic() < deadline:
        if not select.select((sock,), (), (), 0.05)[0]:
            continue
        while True:
            try:
                data, address = sock.recvfrom(65536)
            except BlockingIOError:
                break
            if address[2] != tp.PACKET_OUTGOING:
                frames.append(data)
    return frames


def port_receive(port: AfPacketPort, count: int, timeout_s: float = 3.0, *,
                 packets: bool = False) -> list[bytes]:
    """Frames through `rx_batch`, or (`packets`) through `rx_packets` as the engine reads."""
    frames: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    poller = select.poll()
    poller.register(port.fileno(), select.POLLIN)
    while len(frames) < count and time.monotonic() < deadline:
        poller.poll(20)
        frames.extend(port.rx_packets().frames() if packets else port.rx_batch())
    return frames


def send(port: AfPacketPort, frames: list[bytes], packets: bool) -> None:
    """`tx_batch`, or (`packets`) `tx_packets` of the frames as one batch, as the engine."""
    if packets:
        port.tx_packets(PacketBatch.from_frames(frames))
    else:
        port.tx_batch(frames)


class CountingSocket:
    """Wraps the port's TX socket to count the system calls that send."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sends = 0

    def send(self, *args: Any) -> int:
        self.sends += 1
        return self.sock.send(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


@pytest.mark.netns
@pytest.mark.parametrize("packets", [False, True], ids=["rx_batch", "rx_packets"])
@pytest.mark.parametrize("rx_version", [3, 2])
def test_rx_returns_exactly_the_frames_sent_including_jumbo_and_vlan(
        link, open_in_netns, rx_version: int, packets: bool) -> None:
    port = open_in_netns(link.engine_ns,
                         lambda: AfPacketPort(link.engine_if, rx_version=rx_version))
    sender = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    tagged = ENGINE_MAC + PEER_MAC + b"\x81\x00\x00\x2a" + ETHERTYPE_TEST + bytes(46)
    other_mac = frame(3, dst=bytes.fromhex("02aabbccddee"))  # promiscuous mode
    sent = [frame(0), frame(1, 1514), frame(2, 9014), other_mac, tagged, frame(5, 60)]
    for data in sent:
        sender.send(data)
    assert port_receive(port, len(sent), packets=packets) == sent
    time.sleep(0.02)
    assert port.rx_batch() == []
    assert port.stats["rx_packets"] == len(sent)
    assert port.stats["rx_drops"] == 0


@pytest.mark.netns
@pytest.mark.parametrize("rx_version", [3, 2])
def test_rx_batch_respects_max_frames_across_blocks(link, open_in_netns, rx_version: int) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(
        link.engine_if, block_size=1 << 14, block_count=64, rx_version=rx_version))
    sender = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    sent = [frame(i, 300) for i in range(200)]  # ~50 a block: several blocks
    for data in sent:
        sender.send(data)
    time.sleep(0.05)
    first = port.rx_batch(max_frames=7)
    assert len(first) == 7
    assert first + port_receive(port, len(sent) - 7) == sent


@pytest.mark.netns
def test_rx_packets_reads_the_ring_in_place_and_hands_its_slots_back(link,
                                                                      open_in_netns) -> None:
    """A V2 batch is the ring itself (no copy); its slots return to the kernel at the next
    read, so 120 frames pass a ring of 16 slots in order, none dropped, when no more
    arrive at once than the slots a batch does not hold (8 held + 8 new)."""
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(
        link.engine_if, rx_version=2, rx_frame_count=16))
    sender = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    sent, received = [frame(i, 200) for i in range(120)], []
    ring = np.frombuffer(port._rx_ring.map, np.uint8)
    for first in range(0, len(sent), 8):
        for data in sent[first:first + 8]:
            sender.send(data)
        deadline = time.monotonic() + 3.0
        while len(received) < first + 8 and time.monotonic() < deadline:
            select.select((port,), (), (), 0.02)
            batch = port.rx_packets()
            assert len(batch) == 0 or np.shares_memory(batch.buf, ring)
            received += batch.frames()
    assert received == sent
    assert port.stats["rx_drops"] == 0


@pytest.mark.netns
def test_an_empty_read_hands_held_slots_back_so_poll_sleeps(link, open_in_netns) -> None:
    """The next slot empty: a read returns nothing without walking the ring, but the slots
    the last batch held go back first — else poll(2) would report the socket readable
    (the slot before the kernel's cursor still the reader's) and the engine would spin."""
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(
        link.engine_if, rx_version=2, rx_frame_count=16))
    sender = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    poller = select.poll()
    poller.register(port.fileno(), select.POLLIN)
    assert len(port.rx_packets()) == 0 and not poller.poll(0)
    sent = [frame(i, 100) for i in range(3)]
    for data in sent:
        sender.send(data)
    assert poller.poll(3000)
    received: list[bytes] = []
    deadline = time.monotonic() + 3.0
    while len(received) < len(sent) and time.monotonic() < deadline:
        received += port.rx_packets().frames()  # each batch's slots held until the next read
    assert received == sent
    assert poller.poll(0)  # the last batch's slots are still the reader's
    assert len(port.rx_packets()) == 0
    assert not poller.poll(0)  # handed back: nothing to wake for
    sender.send(frame(9, 100))
    assert poller.poll(3000) and port.rx_packets().frames() == [frame(9, 100)]


@pytest.mark.netns
@pytest.mark.parametrize("rx_version", [3, 2])
@pytest.mark.parametrize("ignore_outgoing", [True, False])
def test_own_transmissions_are_not_looped_back(link, open_in_netns, ignore_outgoing: bool,
                                               rx_version: int) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(
        link.engine_if, ignore_outgoing=ignore_outgoing, rx_version=rx_version))
    receiver = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    sent = [frame(i, dst=PEER_MAC) for i in range(20)]
    port.tx_batch(sent)
    assert raw_receive(receiver, len(sent)) == sent
    time.sleep(0.02)  # longer than the block timeout
    assert port.rx_batch() == []
    assert port.stats["rx_skipped"] == (0 if ignore_outgoing else len(sent))


@pytest.mark.netns
def test_tx_batch_of_1000_frames_arrives_complete_with_one_send(link, open_in_netns) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if))
    receiver = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    counting = port._tx_ring.sock = CountingSocket(port._tx_ring.sock)
    sent = [frame(i, 64 + i % 1400, dst=PEER_MAC) for i in range(1000)]
    port.tx_batch(sent)
    assert counting.sends == 1
    assert raw_receive(receiver, len(sent)) == sent
    assert port.stats["tx_packets"] == 1000
    assert port.stats["tx_sends"] == 1
    assert port.stats["tx_ring_full"] == 0


@pytest.mark.netns
@pytest.mark.parametrize("packets", [False, True], ids=["tx_batch", "tx_packets"])
def test_jumbo_frames_go_through_the_tx_ring(link, open_in_netns, packets: bool) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if))
    receiver = open_in_netns(link.peer_ns, lambda: AfPacketPort(link.peer_if))
    tagged = PEER_MAC + ENGINE_MAC + b"\x81\x00\x00\x07" + frame(2, 9014)[12:]
    sent = [frame(0, 9014, dst=PEER_MAC), frame(1, dst=PEER_MAC), tagged]
    send(port, sent, packets)
    assert port_receive(receiver, len(sent)) == sent
    assert port.stats["tx_sends"] == 1


@pytest.mark.netns
def test_frame_above_the_mtu_is_refused_and_counted(link, open_in_netns) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if))
    receiver = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    port.tx_batch([frame(0, 9018, dst=PEER_MAC), frame(1, dst=PEER_MAC)])  # 9018: untagged
    assert raw_receive(receiver, 2, timeout_s=0.3) == [frame(1, dst=PEER_MAC)]
    assert port.stats["tx_dropped"] == 1


@pytest.mark.netns
def test_full_tx_ring_waits_instead_of_dropping(link, open_in_netns) -> None:
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if, tx_frame_count=64))
    receiver = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    sent = [frame(i, 200, dst=PEER_MAC) for i in range(1000)]
    port.tx_batch(sent)
    assert raw_receive(receiver, len(sent)) == sent
    assert port.stats["tx_ring_full"] > 0
    assert port.stats["tx_dropped"] == 0


@pytest.mark.netns
@pytest.mark.parametrize("packets", [False, True], ids=["tx_batch", "tx_packets"])
def test_frame_larger_than_a_slot_is_sent_alone_in_order(link, open_in_netns, netns_tools,
                                                         packets: bool) -> None:
    netns_tools.ip("link", "set", link.engine_if, "mtu", "1500", ns=link.engine_ns)
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if))
    netns_tools.ip("link", "set", link.engine_if, "mtu", "9000", ns=link.engine_ns)
    receiver = open_in_netns(link.peer_ns, lambda: raw_socket(link.peer_if))
    sent = [frame(0, dst=PEER_MAC), frame(1, 9014, dst=PEER_MAC), frame(2, dst=PEER_MAC)]
    send(port, [*sent, b"\x00" * 10], packets)
    assert raw_receive(receiver, len(sent)) == sent
    assert port.stats["tx_sends"] == 3  # ring, the jumbo alone, ring
    assert port.stats["tx_dropped"] == 1  # the 10-byte runt, counted


@pytest.mark.netns
def test_checksums_left_to_the_vm_ends_offload_are_counted(link, open_in_netns, netns_tools,
                                                          ) -> None:
    netns_tools.ip("addr", "add", "192.0.2.1/24", "dev", link.engine_if, ns=link.engine_ns)
    netns_tools.ip("addr", "add", "192.0.2.2/24", "dev", link.peer_if, ns=link.peer_ns)
    port = open_in_netns(link.engine_ns, lambda: AfPacketPort(link.engine_if))
    vm = open_in_netns(link.peer_ns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    vm.sendto(b"x" * 40, ("192.0.2.1", 9))
    udp = [f for f in port_receive(port, 2) if f[12:14] == b"\x08\x00"]
    assert len(udp) == 1 and port.stats["rx_csum_partial"] == 1  # veth offload is on
    with netns_tools.inside(link.peer_ns), Ethtool() as ethtool:
        features = ethtool.get_features(link.peer_if)
        features.features["tx-checksum-ip-generic"].enable = False
        ethtool.set_features(link.peer_if, features)
    vm.sendto(b"x" * 40, ("192.0.2.1", 9))
    (complete,) = port_receive(port, 1)
    assert parse_frame(complete).proto == 17  # raises on a bad checksum
    assert port.stats["rx_csum_partial"] == 1


def _synthetic_block() -> tuple[np.ndarray, int, int]:
    """A TPACKET_V3 block with a plain frame, an outgoing one, a VLAN one, a truncated one."""
    ring = np.zeros(4096, dtype=np.uint8)
    buffer = ring.data
    pkt = first = tp.BLOCK_DESC_BYTES
    specs = [(0, 0, 60, 60), (tp.PACKET_OUTGOING, 0, 70, 70),
             (0, tp.TP_STATUS_VLAN_VALID | tp.TP_STATUS_CSUMNOTREADY, 80, 80),
             (0, 0, 90, 200)]
    for index, (pkttype, status, snaplen, length) in enumerate(specs):
        mac = tp.align(tp.TPACKET3_HDRLEN + 2)
        step = tp.align(mac + snaplen) if index < len(specs) - 1 else 0
        struct.pack_into("=I8xIIIH", buffer, pkt, step, snaplen, length,
                         status | tp.TP_STATUS_USER, mac)
        struct.pack_into("=IH", buffer, pkt + tp.PKT_VLAN_TCI, 0x2A, 0)
        buffer[pkt + tp.PKT_SLL_PKTTYPE] = pkttype
        buffer[pkt + mac:pkt + mac + snaplen] = bytes([index + 1]) * snaplen
        pkt += step
    struct.pack_into("=III", buffer, tp.BLOCK_STATUS, tp.TP_STATUS_USER, len(specs), first)
    return ring, first, len(specs)


def test_ring_walk_kernel_matches_its_python_twin() -> None:
    ring, first, count = _synthetic_block()
    rows = np.zeros((count, 4), dtype=np.int64)
    end = ring.shape[0]
    after = tp.walk_rx(ring.view(np.uint32), ring.view(np.uint16), ring, first, end, count,
                       rows, 0)
    expected, expected_after = tp.walk_rx_py(ring.data, first, end, count)
    assert [tuple(row) for row in rows.tolist()] == expected
    assert after == expected_after
    assert [row[2] for row in expected] == [0, tp.RX_SKIP, tp.RX_VLAN | tp.RX_CSUM_PARTIAL,
                                            tp.RX_SKIP]
    assert expected[2][3] == 0x8100 << 16 | 0x2A


ECHO = """
import select, sys
from smartnic.ports.afpacket import AfPacketPort
port = AfPacketPort(sys.argv[1])
print("ready", flush=True)
echoed, poller = 0, select.poll()
poller.register(port.fileno(), select.POLLIN)
while echoed < int(sys.argv[2]):
    poller.poll(100)
    frames = port.rx_batch()
    port.tx_batch([f[6:12] + f[:6] + f[12:] for f in frames])
    echoed += len(frames)
print(port.stats["tx_sends"], flush=True)
"""


@pytest.mark.netns
def test_port_in_an_engine_process_started_with_ip_netns_exec(link, open_in_netns,
                                                              spawn, in_netns) -> None:
    engine = spawn([sys.executable, "-c", ECHO, link.engine_if, "300"], ns=link.engine_ns,
                   stdout=subprocess.PIPE, text=True)
    assert engine.stdout.readline() == "ready\n"
    sent = [frame(i, 100 + i) for i in range(300)]
    peer = in_netns(link.peer_ns, _send_and_collect, link.peer_if, sent)
    echoed = peer.result(timeout_s=10)
    assert echoed == [f[6:12] + f[:6] + f[12:] for f in sent]
    assert int(engine.stdout.readline()) < 300  # batches, not a send() per frame
    assert engine.wait(timeout=5) == 0


def _send_and_collect(ifname: str, frames: list[bytes]) -> list[bytes]:
    sock = raw_socket(ifname)
    for data in frames:
        sock.send(data)
    return raw_receive(sock, len(frames), timeout_s=5)
