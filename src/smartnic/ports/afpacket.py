"""AF_PACKET port: a TPACKET_V3 RX ring and a TPACKET_V2 TX ring on one interface.

Moves whole Ethernet frames on `ifname` in the current network namespace (the engine is
started with `ip netns exec <host-ns> …`). The syscall per packet is what limits a Python
data plane, so both directions use PACKET_MMAP rings: `rx_batch` reads the frames of
every block the kernel has handed over, `tx_batch` fills TX slots and makes one `send()`.

Config (keyword arguments):
  block_size      RX block bytes (1<<17). The kernel hands a block over when full or after
                  `retire_tov_ms`, so latency is bounded by the timeout at any rate; 128 KiB
                  holds a 64 KiB GSO frame, ~85 frames of 1500 bytes or ~14 jumbo frames.
  block_count     RX blocks (128). At low rates each block carries what arrived in one
                  timeout, so the ring absorbs at least block_count × retire_tov_ms of
                  engine stall (128 ms) and much more at high rates. 16 MiB in all.
  frame_size      TX slot bytes (2048), raised to fit the interface MTU (+ Ethernet, VLAN
                  and slot header), so jumbo frames go through the ring. RX needs no such
                  size: V3 packs frames of any length into a block.
  tx_frame_count  TX slots (1024).
  retire_tov_ms   RX block timeout (1 ms): small for latency.
  rx_version      3 (default): the V3 block ring above. 2: a TPACKET_V2 ring of
                  `rx_frame_count` MTU-sized slots, each handed over as soon as it is filled
                  (no block timeout: lowest latency at low rates; see ring_v2.py).
  tx_ring         False sends each frame with its own `send()` (for comparison).
  ignore_outgoing True asks the kernel (PACKET_IGNORE_OUTGOING) not to copy frames this
                  host transmits into the ring. Either way the ring walk drops frames whose
                  sll_pkttype is PACKET_OUTGOING, so our own transmissions never come back.
  tx_wait_s       How long a full TX ring is waited for (0.1 s) before frames are dropped
                  and counted.

TX: a frame goes in the ring only if it fits the MTU read at opening (the kernel would
skip a refused ring frame without a trace); one that does not (MTU raised since, or too
big) is sent with its own `send()` on a plain socket, in order, and counted if refused.
Lowering the MTU under an open port makes ring frames above it vanish uncounted.
RX: frames whose 802.1Q tag the kernel stripped (tp_vlan_tci) are returned with the tag
put back. The interface is put in promiscuous mode (a membership that ends with the
socket). A veth whose peer (the VM's end) keeps its transmit offloads hands over what
a NIC would have finished: TCP/UDP checksums left partial (counted as rx_csum_partial)
and super-frames up to 64 KiB from TSO/GSO. Both are returned as they are; turn off
tx-checksum-ip-generic, tx-tcp-segmentation and tx-generic-segmentation on the VM's end.

Counters (`stats`; reading it costs one getsockopt): rx_packets, rx_drops (kernel ring
drops, PACKET_STATISTICS), rx_skipped (outgoing or truncated frames), rx_csum_partial
(frames with a checksum left to an offload, see above), tx_packets,
tx_sends (send() calls), tx_ring_full (times a batch found the ring full), tx_dropped
(frames given up after tx_wait_s, or refused by the kernel when sent alone), tx_errors
(send() failures).
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
from collections.abc import Sequence
from typing import cast

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.ports import tpacket as tp
from smartnic.ports.ring_v2 import RxRingV2
from smartnic.ports.rings import RxRing, TxRing

SIOCGIFMTU = 0x8921
ETHERNET_HEADER_BYTES = 14
VLAN_TAG_BYTES = 4
VLAN_TPIDS = (b"\x81\x00", b"\x88\xa8")
COUNTERS = ("rx_packets", "rx_drops", "rx_skipped", "rx_csum_partial", "tx_packets",
            "tx_sends", "tx_ring_full", "tx_dropped", "tx_errors")


def _interface_mtu(sock: socket.socket, ifname: str) -> int:
    """MTU via ioctl on `sock`, so it is read in the socket's own network namespace."""
    request = struct.pack("16si12x", ifname.encode(), 0)
    return int(struct.unpack_from("16si", fcntl.ioctl(sock, SIOCGIFMTU, request))[1])


def _packet_socket(send_timeout_s: float | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    if send_timeout_s is not None:
        whole = int(send_timeout_s)
        timeval = struct.pack("ll", whole, int((send_timeout_s - whole) * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    return sock


class AfPacketPort:
    def __init__(self, ifname: str, *, block_size: int = 1 << 17, block_count: int = 128,
                 frame_size: int = 2048, tx_frame_count: int = 1024, retire_tov_ms: int = 1,
                 tx_ring: bool = True, ignore_outgoing: bool = True,
                 tx_wait_s: float = 0.1, rx_version: int = 3,
                 rx_frame_count: int = 4096) -> None:
        self.name = ifname
        self._counters = dict.fromkeys(COUNTERS, 0)
        self._rx = _packet_socket()
        self._plain = _packet_socket(tx_wait_s)  # frames that cannot use the ring
        self._tx = _packet_socket(tx_wait_s) if tx_ring else self._plain
        self._tx_ring: TxRing | None = None
        try:
            mtu = _interface_mtu(self._rx, ifname)
            self._mtu_frame_bytes = mtu + ETHERNET_HEADER_BYTES
            ring: RxRing | RxRingV2 = (
                RxRingV2(self._rx, self._mtu_frame_bytes + VLAN_TAG_BYTES, rx_frame_count)
                if rx_version == 2 else
                RxRing(self._rx, block_size, block_count, retire_tov_ms))
            self._rx_ring = self._open_rx(ifname, ring, ignore_outgoing)
            if tx_ring:
                slot_bytes = max(frame_size, tp.TX_DATA + self._mtu_frame_bytes + VLAN_TAG_BYTES)
                self._tx_ring = TxRing(self._tx, slot_bytes, tx_frame_count)
            for sock in {self._tx, self._plain}:
                sock.bind((ifname, 0))  # protocol 0: these sockets only send
        except BaseException:
            self.close()
            raise
        self._ring_max_bytes = min(self._mtu_frame_bytes, self._slot_data_bytes())

    def _open_rx(self, ifname: str, ring: RxRing | RxRingV2,
                 ignore_outgoing: bool) -> RxRing | RxRingV2:
        sock = self._rx
        if ignore_outgoing:  # kernels before 4.20 lack it: the ring walk's filter remains
            with contextlib.suppress(OSError):
                sock.setsockopt(tp.SOL_PACKET, tp.PACKET_IGNORE_OUTGOING, 1)
        sock.bind((ifname, tp.ETH_P_ALL))
        mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname), tp.PACKET_MR_PROMISC, 0, b"")
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_ADD_MEMBERSHIP, mreq)
        sock.setblocking(False)
        return ring

    def _slot_data_bytes(self) -> int:
        return 0 if self._tx_ring is None else self._tx_ring.data_max_bytes

    def fileno(self) -> int:
        return self._rx.fileno()

    @property
    def stats(self) -> dict[str, int]:
        """The counters, with the kernel's RX drop count (read-and-reset) folded in."""
        if self._rx.fileno() >= 0:
            raw = self._rx.getsockopt(tp.SOL_PACKET, tp.PACKET_STATISTICS, tp.STATS_V3.size)
            self._counters["rx_drops"] += struct.unpack_from("=2I", raw)[1]  # V2 and V3
        return self._counters

    def close(self) -> None:
        for ring in (getattr(self, "_rx_ring", None), self._tx_ring):
            if ring is not None:
                ring.close()
        for sock in (self._rx, self._tx, self._plain):
            sock.close()

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        frames = self._rx_ring.read(max_frames, self._counters)
        self._counters["rx_packets"] += len(frames)
        return frames

    def rx_packets(self, max_frames: int = 256) -> PacketBatch:
        """What arrived as a batch over the RX ring (TPACKET_V2: no copy; valid until the
        next receive, and until then the ring takes that many fewer new frames: one batch
        of its `rx_frame_count` slots in an engine) or copied out of it (V3)."""
        ring = self._rx_ring
        batch = (ring.read_packets(max_frames, self._counters) if isinstance(ring, RxRingV2)
                 else PacketBatch.from_frames(ring.read(max_frames, self._counters)))
        self._counters["rx_packets"] += len(batch)
        return batch

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        if not frames:
            return
        if (self._tx_ring is not None and max(map(len, frames)) <= self._ring_max_bytes
                and min(map(len, frames)) >= ETHERNET_HEADER_BYTES):
            self._ring_send(self._tx_ring, frames)
        else:
            self._send_runs(frames)

    def tx_packets(self, batch: PacketBatch) -> None:
        """`tx_batch` of the batch's frames as memoryviews of its buffer: copied once, into
        the ring, with no bytes object made for each."""
        view = batch.buf.data
        frames = [view[start:start + length] for start, length in
                  zip(batch.start.tolist(), batch.length.tolist(), strict=True)]
        self.tx_batch(cast(list[bytes], frames))  # every use of a frame takes any buffer

    def _ring_limit(self, frame: bytes) -> int:
        tagged = frame[12:14] in VLAN_TPIDS
        return min(self._mtu_frame_bytes + VLAN_TAG_BYTES * tagged, self._slot_data_bytes())

    def _send_runs(self, frames: Sequence[bytes]) -> None:
        """Runs of frames that the ring takes go through it, the others alone, in order.

        The kernel silently skips a ring frame it refuses (PACKET_LOSS), so a frame is put
        in the ring only when it fits the MTU; others are sent alone, and a refusal counted.
        """
        run_start = 0
        for index, frame in enumerate(frames):
            if ETHERNET_HEADER_BYTES <= len(frame) <= self._ring_limit(frame):
                continue
            if self._tx_ring is not None:
                self._ring_send(self._tx_ring, frames[run_start:index])
            if len(frame) < ETHERNET_HEADER_BYTES:
                self._counters["tx_dropped"] += 1
            else:
                self._send_alone(frame)
            run_start = index + 1
        if self._tx_ring is not None:
            self._ring_send(self._tx_ring, frames[run_start:])

    def _ring_send(self, ring: TxRing, frames: Sequence[bytes]) -> None:
        """Fill, and when the ring is full flush and wait for it, then go on; drop only
        (counted) when a wait of tx_wait_s freed nothing."""
        done = 0
        waited = False
        while done < len(frames):
            placed = ring.fill(frames[done:done + ring.slots])
            done += placed
            self._counters["tx_packets"] += placed
            if done == len(frames):
                break
            self._counters["tx_ring_full"] += 1
            if waited and placed == 0:
                self._counters["tx_dropped"] += len(frames) - done
                break
            ring.flush(self._counters, wait=True)
            waited = True
        if frames:
            ring.flush(self._counters, wait=False)

    def _send_alone(self, frame: bytes) -> None:
        self._counters["tx_sends"] += 1
        try:
            self._plain.send(frame)  # blocking, bounded by SO_SNDTIMEO = tx_wait_s
        except OSError:
            self._counters["tx_dropped"] += 1
        else:
            self._counters["tx_packets"] += 1
