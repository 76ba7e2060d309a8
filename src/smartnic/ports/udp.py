"""UDP underlay port: overlay frames carried by the kernel's UDP socket, IPv4 only.

The simple underlay: the host's kernel owns the outer IPv4/UDP (routing, ARP, the wire),
and the engine still sees whole outer frames, so `smartnic.packet.decapsulate` and
`encapsulate` work unchanged.

  tx_batch  each frame is an outer Ethernet/IPv4/UDP/(VXLAN|Geneve)/inner frame as built
            by `encapsulate`; the UDP payload (tunnel header on) is sent with `sendto` to
            (outer destination IP, outer UDP destination port). The wire's source port is
            the bound `udp_port`, not the frame's flow-entropy port.
  rx_batch  drains datagrams and returns each as a synthesized frame: Ethernet with MACs
            02:5e:<IPv4 bytes> of each side, IPv4 (DF, TTL 64, correct checksum) from the
            datagram's source to `local_ip`, UDP from its real source port to `udp_port`
            with checksum 0 (none, RFC 768).
  rx_packets / tx_packets  the same as a PacketBatch (one buffer, starts, lengths): in
            batched mode each datagram is received behind room for its outer headers and
            a kernel writes them in place (udp_frames.py), so no Python object is made per
            datagram; the batch is valid until the next receive. tx_packets sends a
            batch's frames without joining them first.

System calls: with `batched` (the default where the C library has them, mmsg.py) a batch
is sent with sendmmsg(2) and received with recvmmsg(2), one call per batch (a lone frame
still goes with sendto, which costs less); without, one sendto/recvfrom per datagram.
A receive call takes at most RX_SLOTS datagrams, or up to RX_SLOTS_MAX when the caller
asks for more (the receive slots grow once, between batches).

Config: local_ip (a specific address: it becomes the outer destination of every received
frame), udp_port (4789; bind one port per overlay kind, since `decapsulate` tells VXLAN
from Geneve by destination port), rcvbuf_bytes (socket receive buffer), tx_wait_s (how
long a full send buffer is waited for before frames are dropped and counted), batched,
rx_slot_bytes (the largest datagram received whole in batched mode: 16 KiB holds a
9001-byte VPC frame with its tunnel header), peer_cache_entries (how many senders' outer
headers are kept ready; the underlay is not trusted, and datagrams from ever new source
addresses must not grow the engine, so a full cache starts over; batched mode keeps no
cache: its headers are written per datagram by the kernel).

Counters (`stats`): rx_packets, rx_truncated (datagrams larger than rx_slot_bytes,
dropped), tx_packets, tx_sends (system calls that sent), tx_invalid (frames that are not
unfragmented IPv4/UDP), tx_dropped (send buffer still full after tx_wait_s), tx_errors
(other send failures, e.g. no route).
"""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Sequence

import numpy as np

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.ports import mmsg
from smartnic.ports.udp_frames import HEADROOM, frame_datagrams

ETHERTYPE_IPV4 = 0x0800
PROTO_UDP = 17
ETHERNET_HEADER_BYTES = 14
UDP_HEADER_BYTES = 8
IPV4_HEADER_BYTES = 20
MAC_PREFIX = b"\x02\x5e"
IPV4_DF = 0x4000
OUTER_TTL = 64
MAX_DATAGRAM_BYTES = 65535
RX_SLOTS = 256  # datagrams one recvmmsg call may return
RX_SLOTS_MAX = 1024  # grown to when a caller asks for more (16 MiB of 16 KiB slots)
VECTOR_MIN_FRAMES = 32  # from here a batch's messages are filled with numpy, below one by one
_OUTER = struct.Struct("!BBHHHBBH4s4sHHHH")  # IPv4 header (no options) + UDP header
_INVARIANT_WORDS = 0x4500 + IPV4_DF + (OUTER_TTL << 8 | PROTO_UDP)


def _word_sum(address: bytes) -> int:
    return (address[0] << 8 | address[1]) + (address[2] << 8 | address[3])


class UdpUnderlayPort:
    def __init__(self, local_ip: str, udp_port: int = 4789, *, name: str | None = None,
                 rcvbuf_bytes: int = 4 << 20, tx_wait_s: float = 0.05,
                 batched: bool = True, rx_slot_bytes: int = 16 << 10,
                 peer_cache_entries: int = 1024) -> None:
        self._local = socket.inet_aton(local_ip)
        if self._local == bytes(4):
            raise ValueError("local_ip must be a specific IPv4 address, not 0.0.0.0")
        self.name = name or f"udp:{local_ip}:{udp_port}"
        self.udp_port = udp_port
        self.tx_wait_s = tx_wait_s
        self.stats = dict.fromkeys(("rx_packets", "rx_truncated", "tx_packets", "tx_sends",
                                    "tx_invalid", "tx_dropped", "tx_errors"), 0)
        self.batched = batched and mmsg.available()
        self._receiver = mmsg.Receiver(RX_SLOTS, rx_slot_bytes, HEADROOM) if (
            self.batched) else None
        self._local_bytes = np.frombuffer(self._local, np.uint8)
        self._starts = np.zeros(RX_SLOTS, np.int64)
        self._lengths = np.zeros(RX_SLOTS, np.int32)
        self._sender = mmsg.Sender() if self.batched else None
        self._keep: object = None
        self._peers: dict[bytes, tuple[bytes, int]] = {}
        self.peer_cache_entries = peer_cache_entries
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf_bytes)
            self._sock.bind((local_ip, udp_port))
            self._sock.setblocking(False)
        except BaseException:
            self._sock.close()
            raise

    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def cached_peers(self) -> int:
        return len(self._peers)

    def close(self) -> None:
        self._sock.close()

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        if self._receiver is None:
            frames = self._receive_each(max_frames)
            self.stats["rx_packets"] += len(frames)
            return frames
        return self.rx_packets(max_frames).frames()

    def rx_packets(self, max_frames: int = 256) -> PacketBatch:
        """What arrived, as one batch (valid until the next receive)."""
        receiver = self._receiver
        if receiver is None:
            return PacketBatch.from_frames(self.rx_batch(max_frames))
        if max_frames > receiver.slots and receiver.slots < RX_SLOTS_MAX:
            receiver = self._grow(min(max_frames, RX_SLOTS_MAX))
        count = receiver.receive(self._sock.fileno(), max_frames)
        kept, skipped = frame_datagrams(
            receiver.buffer, receiver.slot_bytes, count, receiver.words, mmsg.LENGTH_WORD,
            mmsg.FLAGS_WORD, receiver.names, self._local_bytes, self.udp_port,
            self._starts, self._lengths)
        self.stats["rx_packets"] += kept
        self.stats["rx_truncated"] += skipped
        starts, lengths = self._starts[:kept], self._lengths[:kept]
        return PacketBatch(receiver.buffer, starts, lengths, int(lengths.sum()))

    def _grow(self, slots: int) -> mmsg.Receiver:
        assert self._receiver is not None
        self._receiver = mmsg.Receiver(slots, self._receiver.slot_bytes, HEADROOM)
        self._starts = np.zeros(slots, np.int64)
        self._lengths = np.zeros(slots, np.int32)
        return self._receiver

    def _receive_each(self, max_frames: int) -> list[bytes]:
        frames: list[bytes] = []
        recvfrom = self._sock.recvfrom
        while len(frames) < max_frames:
            try:
                payload, (peer_ip, peer_port) = recvfrom(MAX_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            header = self._outer_headers(socket.inet_aton(peer_ip), peer_port, len(payload))
            frames.append(header + payload)
        return frames

    def _outer_headers(self, address: bytes, peer_port: int, payload_bytes: int) -> bytes:
        peer = self._peers.get(address)
        if peer is None:
            if len(self._peers) >= self.peer_cache_entries:
                self._peers.clear()  # the hosts still sending come back at once
            ethernet = MAC_PREFIX + self._local + MAC_PREFIX + address + b"\x08\x00"
            partial = _INVARIANT_WORDS + _word_sum(address) + _word_sum(self._local)
            peer = self._peers[address] = (ethernet, partial)
        ethernet, partial = peer
        udp_bytes = UDP_HEADER_BYTES + payload_bytes
        total = IPV4_HEADER_BYTES + udp_bytes
        folded = partial + total
        folded = (folded & 0xFFFF) + (folded >> 16)
        folded = (folded & 0xFFFF) + (folded >> 16)
        return ethernet + _OUTER.pack(0x45, 0, total, 0, IPV4_DF, OUTER_TTL, PROTO_UDP,
                                      ~folded & 0xFFFF, address, self._local,
                                      peer_port, self.udp_port, udp_bytes, 0)

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        if self._sender is not None and len(frames) > 1:  # one frame: sendto costs less
            self._send_batched(frames)
            return
        for frame in frames:
            target = _udp_target(frame)
            if target is None:
                self.stats["tx_invalid"] += 1
                continue
            payload, address = target
            self._send(payload, address)

    def tx_packets(self, batch: PacketBatch) -> None:
        """`tx_batch` of the batch's frames; a large batch is sent straight from its
        buffer, without joining its frames first."""
        if self._sender is None or len(batch) < VECTOR_MIN_FRAMES:
            self.tx_batch(batch.frames())
            return
        targets = udp_targets_at(batch.buf, batch.start, batch.length)
        if targets is None:
            self.stats["tx_invalid"] += len(batch)
            return
        payloads, addresses, invalid = targets
        self.stats["tx_invalid"] += invalid
        self._keep = payloads[0]
        self._send_filled(self._sender.fill_vector(payloads, addresses))

    def _send_batched(self, frames: Sequence[bytes]) -> None:
        self._send_filled(self._fill(frames))

    def _send_filled(self, count: int) -> None:
        """Send the sender's messages 0..count-1."""
        done, waited = 0, False
        fd = self._sock.fileno()
        assert self._sender is not None
        while done < count:
            reached, state = self._sender.send(fd, done, count)
            if reached > done:
                self.stats["tx_packets"] += reached - done
                self.stats["tx_sends"] += 1
                done, waited = reached, False
            if state is None:
                continue
            if state != "blocked":
                self.stats["tx_errors"] += 1  # the datagram at `done` was refused: skip it
                done += 1
            elif waited:
                self.stats["tx_dropped"] += count - done
                return
            else:
                select.select((), (self._sock,), (), self.tx_wait_s)
                waited = True

    def _fill(self, frames: Sequence[bytes]) -> int:
        """The sender's messages for the valid frames, in order; invalid ones counted."""
        sender = self._sender
        assert sender is not None
        if len(frames) >= VECTOR_MIN_FRAMES:
            targets = udp_targets(frames)
            if targets is None:
                self.stats["tx_invalid"] += len(frames)
                return 0
            payloads, addresses, invalid = targets
            self.stats["tx_invalid"] += invalid
            self._keep = payloads[0]  # the messages point into it: kept past this return
            return sender.fill_vector(payloads, addresses)
        sender.reserve(len(frames))
        count = 0
        for frame in frames:
            fields = _udp_fields(frame)
            if fields is None:
                self.stats["tx_invalid"] += 1
                continue
            sender.fill_one(count, frame, *fields)
            count += 1
        return count

    def _send(self, payload: memoryview, address: tuple[str, int]) -> None:
        for attempt in range(2):
            try:
                self._sock.sendto(payload, address)
            except (BlockingIOError, InterruptedError):
                if attempt == 0:
                    select.select((), (self._sock,), (), self.tx_wait_s)
                    continue
                self.stats["tx_dropped"] += 1
            except OSError:
                self.stats["tx_errors"] += 1
            else:
                self.stats["tx_packets"] += 1
                self.stats["tx_sends"] += 1
            return


def _udp_fields(frame: bytes) -> tuple[int, int, bytes, int] | None:
    """(payload offset, payload length, outer destination IPv4 bytes, UDP destination
    port), or None if the frame is not unfragmented IPv4/UDP."""
    if len(frame) < ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES:
        return None
    if frame[12] << 8 | frame[13] != ETHERTYPE_IPV4 or frame[14] >> 4 != 4:
        return None
    ip_header_bytes = (frame[14] & 0x0F) * 4
    fragment = (frame[20] << 8 | frame[21]) & 0x3FFF  # MF flag and fragment offset
    if frame[23] != PROTO_UDP or fragment or ip_header_bytes < IPV4_HEADER_BYTES:
        return None
    udp = ETHERNET_HEADER_BYTES + ip_header_bytes
    if udp + UDP_HEADER_BYTES > len(frame):
        return None
    dst_port, udp_bytes = struct.unpack_from("!HH", frame, udp + 2)
    if udp_bytes < UDP_HEADER_BYTES or udp + udp_bytes > len(frame):
        return None
    return udp + UDP_HEADER_BYTES, udp_bytes - UDP_HEADER_BYTES, frame[30:34], dst_port


def _udp_target(frame: bytes) -> tuple[memoryview, tuple[str, int]] | None:
    """(UDP payload, (outer destination IP, UDP destination port)), or None if not IPv4/UDP."""
    fields = _udp_fields(frame)
    if fields is None:
        return None
    offset, length, address, port = fields
    return memoryview(frame)[offset:offset + length], (socket.inet_ntoa(address), port)

Payloads = tuple[np.ndarray, np.ndarray, np.ndarray]
Addresses = tuple[np.ndarray, np.ndarray]


def udp_targets(frames: Sequence[bytes]) -> tuple[Payloads, Addresses, int] | None:
    """`_udp_target` for a whole batch, vectorised: ((buffer, payload starts, payload
    lengths), (destination IPv4 bytes, destination port bytes), frames refused) for the
    frames that are unfragmented IPv4/UDP, in order; None when no frame is."""
    lengths = np.fromiter(map(len, frames), np.int64, len(frames))
    ends = np.cumsum(lengths)
    return udp_targets_at(np.frombuffer(b"".join(frames), np.uint8), ends - lengths, lengths)


def udp_targets_at(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray
                   ) -> tuple[Payloads, Addresses, int] | None:
    """`udp_targets` of frames given as (buffer, starts, lengths), each inside `buffer`."""
    lengths = lengths.astype(np.int64, copy=False)
    fits = lengths >= ETHERNET_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES
    at = starts[fits]
    ip_ok = ((buffer[at + 12] == 0x08) & (buffer[at + 13] == 0x00)
             & (buffer[at + 14] >> 4 == 4) & (buffer[at + 23] == PROTO_UDP)
             & ((buffer[at + 20] & 0x3F) == 0) & (buffer[at + 21] == 0)
             & ((buffer[at + 14] & 0x0F) >= IPV4_HEADER_BYTES // 4))
    udp = ETHERNET_HEADER_BYTES + (buffer[at + 14] & 0x0F).astype(np.int64) * 4
    ip_ok &= udp + UDP_HEADER_BYTES <= lengths[fits]
    at, udp = at[ip_ok], udp[ip_ok]
    frame_lengths = lengths[fits][ip_ok]
    udp_at = at + udp
    udp_bytes = buffer[udp_at + 4].astype(np.int64) << 8 | buffer[udp_at + 5]
    ok = (udp_bytes >= UDP_HEADER_BYTES) & (udp + udp_bytes <= frame_lengths)
    refused = len(starts) - int(np.count_nonzero(ok))
    if not ok.any():
        return None
    at, udp_at, udp_bytes = at[ok], udp_at[ok], udp_bytes[ok]
    ips = buffer[(at + 30)[:, None] + np.arange(4)]
    ports = buffer[(udp_at + 2)[:, None] + np.arange(2)]
    return (buffer, udp_at + UDP_HEADER_BYTES, udp_bytes - UDP_HEADER_BYTES), (ips, ports), refused
