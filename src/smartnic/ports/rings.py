"""The two PACKET_MMAP rings of an AF_PACKET port, each on its own socket.

`RxRing` (TPACKET_V3): `read(max_frames, counters)` copies out the frames of the blocks
the kernel has handed over and hands each block back once it is fully read.
`TxRing` (TPACKET_V2): `fill(frames)` copies frames into free slots and marks them;
`flush(wait)` is the one `send()` that transmits every marked slot.

Both sockets are created with protocol 0 and bound only once configured, so nothing is
queued outside the ring. Counters touched: rx_skipped, rx_csum_partial, tx_sends,
tx_errors.
"""

from __future__ import annotations

import contextlib
import mmap
import socket
import struct
from collections.abc import Sequence

import numpy as np

from smartnic.ports import tpacket as tp

TX_BLOCK_BYTES = 1 << 16
_U32 = struct.Struct("=I").unpack_from


def map_ring(sock: socket.socket, size_bytes: int) -> mmap.mmap:
    return mmap.mmap(sock.fileno(), size_bytes, mmap.MAP_SHARED,
                     mmap.PROT_READ | mmap.PROT_WRITE)


def unmap_ring(ring: mmap.mmap | None) -> None:
    if ring is not None and not ring.closed:
        with contextlib.suppress(BufferError):  # a view is still held: the pages go with it
            ring.close()


def copy_out(ring: mmap.mmap, rows: np.ndarray, frames: list[bytes],
             counters: dict[str, int]) -> None:
    """Append the frames the walk found (rows: start, length, flags, tag) as bytes."""
    if not rows[:, 2].any():  # the common case: slice in C, no per-frame bytecode
        starts = rows[:, 0]
        ends = starts + rows[:, 1]
        frames.extend(map(ring.__getitem__, map(slice, starts.tolist(), ends.tolist())))
        return
    for start, length, flag, tag in rows.tolist():
        if flag & tp.RX_SKIP:
            counters["rx_skipped"] += 1
            continue
        if flag & tp.RX_CSUM_PARTIAL:
            counters["rx_csum_partial"] += 1
        if flag & tp.RX_VLAN:
            frames.append(ring[start:start + 12] + tag.to_bytes(4, "big")
                          + ring[start + 12:start + length])
        else:
            frames.append(ring[start:start + length])


class RxRing:
    def __init__(self, sock: socket.socket, block_size: int, block_count: int,
                 retire_tov_ms: int) -> None:
        if block_size % mmap.PAGESIZE or block_count < 1:
            raise ValueError(f"RX ring: block_size must be a multiple of {mmap.PAGESIZE} and "
                             f"block_count positive, got {block_size} x {block_count}")
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_VERSION, tp.TPACKET_V3)
        # V3 packs frames of any size into a block; tp_frame_size is only nominal here.
        nominal_frame = 2048
        frames = block_size // nominal_frame * block_count
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_RX_RING, tp.REQ3.pack(
            block_size, block_count, nominal_frame, frames, retire_tov_ms, 0, 0))
        self.map = map_ring(sock, block_size * block_count)
        ring = np.frombuffer(self.map, dtype=np.uint8)
        self._u32, self._u16, self._u8 = ring.view(np.uint32), ring.view(np.uint16), ring
        self._block_size = block_size
        self._block_count = block_count
        self._block = 0  # next block to read
        self._block_done = 0  # packets of that block already returned
        self._block_pkt = 0  # byte offset of its next packet
        self._rows = np.zeros((256, 4), dtype=np.int64)

    def read(self, max_frames: int, counters: dict[str, int]) -> list[bytes]:
        if self._rows.shape[0] < max_frames:
            self._rows = np.zeros((max_frames, 4), dtype=np.int64)
        frames: list[bytes] = []
        ring = self.map
        while len(frames) < max_frames:
            base = self._block * self._block_size
            if _U32(ring, base + tp.BLOCK_STATUS)[0] & tp.TP_STATUS_USER == 0:
                break
            total = _U32(ring, base + tp.BLOCK_NUM_PKTS)[0]
            if self._block_done == 0:
                self._block_pkt = base + _U32(ring, base + tp.BLOCK_FIRST_PKT)[0]
            take = min(total - self._block_done, max_frames - len(frames))
            self._block_pkt = tp.walk_rx(self._u32, self._u16, self._u8, self._block_pkt,
                                         base + self._block_size, take, self._rows, 0)
            copy_out(self.map, self._rows[:take], frames, counters)
            self._block_done += take
            if self._block_done < total:
                break
            struct.pack_into("=I", ring, base + tp.BLOCK_STATUS, tp.TP_STATUS_KERNEL)
            self._block = (self._block + 1) % self._block_count
            self._block_done = 0
        return frames

    def close(self) -> None:
        self._u32 = np.zeros(0, dtype=np.uint32)
        self._u16 = np.zeros(0, dtype=np.uint16)
        self._u8 = np.zeros(0, dtype=np.uint8)
        unmap_ring(self.map)


class TxRing:
    def __init__(self, sock: socket.socket, slot_bytes: int, slot_count: int) -> None:
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_VERSION, tp.TPACKET_V2)
        # Without PACKET_LOSS a frame the kernel refuses stops the ring for good.
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_LOSS, 1)
        slot_bytes = tp.align(slot_bytes)
        block_bytes = max(TX_BLOCK_BYTES, 1 << (slot_bytes - 1).bit_length())
        per_block = block_bytes // slot_bytes
        blocks = -(-slot_count // per_block)
        self.slots = blocks * per_block
        sock.setsockopt(tp.SOL_PACKET, tp.PACKET_TX_RING, tp.REQ.pack(
            block_bytes, blocks, slot_bytes, self.slots))
        self.map = map_ring(sock, block_bytes * blocks)
        self.data_max_bytes = slot_bytes - tp.TX_DATA
        self.sock = sock
        self._words = np.frombuffer(self.map, dtype=np.uint32)
        bases = [slot // per_block * block_bytes + slot % per_block * slot_bytes
                 for slot in range(self.slots)]
        self._bases = np.array(bases + bases, dtype=np.int64)  # slices never wrap
        self._slot = 0  # the next slot, where the kernel's own cursor also stands

    def fill(self, frames: Sequence[bytes]) -> int:
        """Copy frames (at most `slots`) into free slots in order; returns how many fit.

        An mmap slice assignment (memcpy) per frame beat a numba copy loop (measured,
        9000-byte frames: 0.8 against 12 µs a frame; 64-byte: 0.20 against 0.28 µs).
        """
        bases = self._bases[self._slot:self._slot + len(frames)]
        free = self._words[(bases + tp.TX_STATUS) >> 2] == tp.TP_STATUS_AVAILABLE
        placed = len(frames) if free.all() else int(free.argmin())
        bases = bases[:placed]
        ring = self.map
        # `frames` may outnumber the free slots: zip stops at the last placed one.
        for frame, start in zip(frames, (bases + tp.TX_DATA).tolist(), strict=False):
            ring[start:start + len(frame)] = frame
        self._words[(bases + tp.TX_LEN) >> 2] = np.fromiter(
            map(len, frames[:placed]), dtype=np.uint32, count=placed)
        self._words[(bases + tp.TX_STATUS) >> 2] = tp.TP_STATUS_SEND_REQUEST  # last: ready
        self._slot = (self._slot + placed) % self.slots
        return placed

    def flush(self, counters: dict[str, int], *, wait: bool) -> None:
        """Transmit every marked slot; `wait` also blocks (≤ SO_SNDTIMEO) until they are done."""
        counters["tx_sends"] += 1
        try:
            self.sock.send(b"", 0 if wait else socket.MSG_DONTWAIT)
        except OSError:
            counters["tx_errors"] += 1

    def close(self) -> None:
        self._words = np.zeros(0, dtype=np.uint32)
        unmap_ring(self.map)
