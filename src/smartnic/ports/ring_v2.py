"""A TPACKET_V2 RX ring: fixed-size frame slots, each handed over as soon as it is filled.

TPACKET_V3 hands a whole block over when it is full or after `tp_retire_blk_tov` (1 ms at
least), so at low rates every frame waits up to a millisecond; a V2 slot is readable — and
poll(2) wakes — the moment its frame lands. Reading is still batched: `read` returns every
ready slot up to `max_frames` with one numba walk, then hands the slots back.
`read_packets` returns them as a PacketBatch over the ring itself, no copy: the slots stay
the reader's until its next read (or `close`), which hands them back first. A batch with
any slot the walk flags (skipped, VLAN tag to put back, checksum partial) is copied out
as `read` does, and its slots handed back at once.

Slot layout (tpacket2_hdr, 32 bytes): status u32 @0, len @4, snaplen @8, mac u16 @12,
net @14, sec @16, nsec @20, vlan_tci u16 @24, vlan_tpid @26; the sockaddr_ll follows at
32 (sll_pkttype at 42). Slots must hold the largest frame: sized from the MTU.
Bounds: `first` is taken modulo the slots, every header field read lies inside the slot
(slots are at least V2_HEADER_BYTES long), and a frame the header places past the slot's
end is returned as RX_SKIP, never read.
"""

from __future__ import annotations

import mmap
import socket

import numba
import numpy as np

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.ports import tpacket as tp
from smartnic.ports.rings import copy_out, map_ring, unmap_ring

V2_STATUS, V2_LEN, V2_SNAPLEN, V2_MAC = 0, 4, 8, 12
V2_VLAN_TCI, V2_VLAN_TPID = 24, 26
V2_SLL_PKTTYPE = 32 + 10
V2_HEADER_BYTES = 32 + 20  # header + sockaddr_ll, before the frame (aligned below)


@numba.njit(cache=True, nogil=True)
def walk_rx_v2(ring32: np.ndarray, ring16: np.ndarray, ring8: np.ndarray, first: int,
               slot_bytes: int, slots: int, max_frames: int, rows: np.ndarray) -> int:
    """Rows (start, length, flags, tag) of the ready slots from `first`; returns how many.
    A frame the slot's header places outside the slot is returned as RX_SKIP."""
    count = 0
    slot = first % slots
    while count < max_frames:
        base = slot * slot_bytes
        status = ring32[(base + V2_STATUS) >> 2]
        if status & tp.TP_STATUS_USER == 0:
            break
        snaplen = np.int64(ring32[(base + V2_SNAPLEN) >> 2])
        mac = np.int64(ring16[(base + V2_MAC) >> 1])
        flag = 0
        tag = 0
        if mac + snaplen > slot_bytes:
            flag = tp.RX_SKIP
        elif ring8[base + V2_SLL_PKTTYPE] == tp.PACKET_OUTGOING:
            flag = tp.RX_SKIP
        elif snaplen != ring32[(base + V2_LEN) >> 2]:
            flag = tp.RX_SKIP
        else:
            if status & tp.TP_STATUS_CSUMNOTREADY:
                flag |= tp.RX_CSUM_PARTIAL
            if status & tp.TP_STATUS_VLAN_VALID:
                flag |= tp.RX_VLAN
                tpid = tp.ETH_P_8021Q
                if status & tp.TP_STATUS_VLAN_TPID_VALID:
                    tpid = int(ring16[(base + V2_VLAN_TPID) >> 1])
                tag = (int(tpid) << 16) | int(ring16[(base + V2_VLAN_TCI) >> 1])
        rows[count, 0] = base + mac
        rows[count, 1] = snaplen
        rows[count, 2] = flag
        rows[count, 3] = tag
        count += 1
        slot = (slot + 1) % slots
    return count


@numba.njit(cache=True, nogil=True)
def release_v2(ring32: np.ndarray, first: int, count: int, slot_bytes: int, slots: int) -> None:
    for i in range(count):
        ring32[(((first + i) % slots) * slot_bytes + V2_STATUS) >> 2] = tp.TP_STATUS_KERNEL


class RxRingV2:
    def __init__(self, sock: socket.socket, max_frame_bytes: int, slot_count: int) -> None:
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_VERSION, tp.TPACKET_V2)
        slot_bytes = tp.align(tp.align(V2_HEADER_BYTES) + 2 + max_frame_bytes)
        slot_bytes = 1 << (slot_bytes - 1).bit_length()  # blocks of whole pages and slots
        block_bytes = max(slot_bytes, mmap.PAGESIZE)
        per_block = block_bytes // slot_bytes
        blocks = max(1, -(-slot_count // per_block))
        self.slots = blocks * per_block
        self.slot_bytes = slot_bytes
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_RX_RING, tp.REQ.pack(
            block_bytes, blocks, slot_bytes, self.slots))
        self.map = map_ring(sock, block_bytes * blocks)
        ring = np.frombuffer(self.map, dtype=np.uint8)
        self._u32, self._u16, self._u8 = ring.view(np.uint32), ring.view(np.uint16), ring
        self._next = 0
        self._held = 0  # slots from _next on that a batch still reads
        self._rows = np.zeros((256, 4), dtype=np.int64)
        self._empty = PacketBatch(np.zeros(0, np.uint8), np.zeros(0, np.int64),
                                  np.zeros(0, np.int32), 0)

    def _ready(self) -> bool:
        """A frame waits in the next slot: one word read, where an empty poll of every
        port of an engine would otherwise cost a few kernel calls each."""
        return bool(self._u32[(self._next * self.slot_bytes + V2_STATUS) >> 2]
                    & tp.TP_STATUS_USER)

    def read(self, max_frames: int, counters: dict[str, int]) -> list[bytes]:
        rows = self._walk(max_frames)
        frames: list[bytes] = []
        if rows.shape[0]:
            self._copy_out(rows, frames, counters)
        return frames

    def read_packets(self, max_frames: int, counters: dict[str, int]) -> PacketBatch:
        """The ready slots as a batch over the ring (valid until the next read)."""
        rows = self._walk(max_frames)
        count = rows.shape[0]
        if count == 0:
            return self._empty
        if rows[:, 2].any():
            frames: list[bytes] = []
            self._copy_out(rows, frames, counters)
            return PacketBatch.from_frames(frames)
        self._held = count
        lengths = rows[:, 1].astype(np.int32)
        return PacketBatch(self._u8, rows[:, 0].copy(), lengths, int(lengths.sum()))

    def _walk(self, max_frames: int) -> np.ndarray:
        """Rows of the ready slots (held ones handed back first); none without a kernel
        call when the next slot is empty."""
        self._release_held()
        if not self._ready():
            return self._rows[:0]
        if self._rows.shape[0] < max_frames:
            self._rows = np.zeros((max_frames, 4), dtype=np.int64)
        count = walk_rx_v2(self._u32, self._u16, self._u8, self._next, self.slot_bytes,
                           self.slots, max_frames, self._rows)
        return self._rows[:count]

    def _copy_out(self, rows: np.ndarray, frames: list[bytes], counters: dict[str, int]) -> None:
        """The rows' frames copied into `frames` and their slots handed back."""
        copy_out(self.map, rows, frames, counters)
        release_v2(self._u32, self._next, rows.shape[0], self.slot_bytes, self.slots)
        self._next = (self._next + rows.shape[0]) % self.slots

    def _release_held(self) -> None:
        if self._held:
            release_v2(self._u32, self._next, self._held, self.slot_bytes, self.slots)
            self._next = (self._next + self._held) % self.slots
            self._held = 0

    def close(self) -> None:
        if self._u32.shape[0]:
            self._release_held()
        self._u32 = np.zeros(0, dtype=np.uint32)
        self._u16 = np.zeros(0, dtype=np.uint16)
        self._u8 = np.zeros(0, dtype=np.uint8)
        unmap_ring(self.map)
