"""The null forwarder: smartnic's own ports and rings moving frames with no policy at all.

`python -m bench.nullfwd --vm IFNAME --local IP --peer IP --vm-mac MAC --router-mac MAC
[--underlay-if IFNAME]`, run in a host namespace of a `smartnic up` topology whose engines
were stopped (bench/anchors/null.py). Frames from the VM port get a fixed VXLAN outer
header to the peer host and go out of the underlay port the engine had: AF_PACKET rings on
`--underlay-if`, else the UDP socket (sendmmsg); VXLAN datagrams from the underlay lose
the outer header (anything else there is left), are addressed to the local VM
(destination MAC = the VM, source = the VPC router, as the engine would) and go out of the
VM port's TX ring. No parsing, lookup, conntrack or checks: the I/O ceiling of the real
path on this machine, the figure smartnic's end-to-end rate is set against. Frames move
as the engines move them: as arrays (`rx_packets`/`tx_packets`), headers written for a
whole batch with numpy (a few frames, where numpy's fixed cost is more than the frames',
one by one). SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import select
import signal
import struct

import numpy as np

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.dataplane.runner import underlay_mac
from smartnic.packet import encapsulate, ip_to_int, mac_to_bytes
from smartnic.ports.afpacket import AfPacketPort
from smartnic.ports.udp import UdpUnderlayPort

OUTER_BYTES = 50  # Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
ETHERNET_BYTES = 14
IP_LENGTH_AT, IP_CHECKSUM_AT, UDP_LENGTH_AT = 16, 24, 38
INNER_MACS_AT = OUTER_BYTES  # the inner frame's destination and source MACs
BUDGET = 256
VECTOR_MIN_FRAMES = 16
running = True


def _stop(*_: object) -> None:
    global running
    running = False


def outer_template(local: str, peer: str) -> bytes:
    """Outer headers from `local` to `peer` with the underlay's MACs (AF_PACKET sends them
    as they are; the UDP port reads only the addresses)."""
    local_ip, peer_ip = ip_to_int(local)[1], ip_to_int(peer)[1]
    frame = encapsulate(bytes(14), kind="vxlan", vni=1, outer_src_mac=underlay_mac(local_ip),
                        outer_dst_mac=underlay_mac(peer_ip), outer_src_ip=local_ip,
                        outer_dst_ip=peer_ip, udp_src_port=4789)
    return frame[:OUTER_BYTES]


def forward(vm: AfPacketPort, underlay: UdpUnderlayPort | AfPacketPort, outer: bytes,
            to_vm: bytes) -> None:
    poller = select.poll()
    for port in (vm, underlay):
        poller.register(port.fileno(), select.POLLIN)
    while running:
        moved = 0
        batch = vm.rx_packets(BUDGET)
        if len(batch):
            underlay.tx_packets(encapsulated(batch, outer))
            moved += len(batch)
        batch = underlay.rx_packets(BUDGET)
        if len(batch):
            vm.tx_packets(to_vm_frames(batch, to_vm))
            moved += len(batch)
        if not moved:
            poller.poll(20)


def encapsulated(batch: PacketBatch, outer: bytes) -> PacketBatch:
    """Every frame behind the outer header, its IPv4 total length (with the header
    checksum) and UDP length set: a bridge that validates IPv4 trims frames to the former."""
    lengths = batch.length.astype(np.int64)
    ip_lengths = lengths + OUTER_BYTES - ETHERNET_BYTES
    checksums = _ip_checksums(outer, ip_lengths)
    if len(batch) < VECTOR_MIN_FRAMES:
        return PacketBatch.from_frames([
            outer[:IP_LENGTH_AT] + struct.pack("!H", ip_length) + outer[IP_LENGTH_AT + 2:
                                                                      IP_CHECKSUM_AT]
            + struct.pack("!H", checksum) + outer[IP_CHECKSUM_AT + 2:UDP_LENGTH_AT]
            + struct.pack("!H", length + 16) + outer[UDP_LENGTH_AT + 2:] + frame
            for frame, length, ip_length, checksum in zip(
                batch.frames(), lengths.tolist(), ip_lengths.tolist(), checksums.tolist(),
                strict=True)])
    out_lengths = lengths + OUTER_BYTES
    out_starts = np.cumsum(out_lengths) - out_lengths
    out = np.empty(int(out_lengths.sum()), np.uint8)
    out[out_starts[:, None] + np.arange(OUTER_BYTES)] = np.frombuffer(outer, np.uint8)
    for at, values in ((IP_LENGTH_AT, ip_lengths), (IP_CHECKSUM_AT, checksums),
                       (UDP_LENGTH_AT, lengths + 16)):  # UDP 8 + VXLAN 8
        out[out_starts + at] = values >> 8
        out[out_starts + at + 1] = values & 0xFF
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(out_starts + OUTER_BYTES, lengths) + within] = batch.buf[
        np.repeat(batch.start, lengths) + within]
    return PacketBatch(out, out_starts, out_lengths.astype(np.int32), out.shape[0])


def _ip_checksums(outer: bytes, ip_lengths: np.ndarray) -> np.ndarray:
    """The outer IPv4 header's checksum for each total length (RFC 791)."""
    header = bytearray(outer[ETHERNET_BYTES:ETHERNET_BYTES + 20])
    header[2:4] = header[10:12] = b"\0\0"
    total = sum(struct.unpack("!10H", header)) + ip_lengths
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def to_vm_frames(batch: PacketBatch, to_vm: bytes) -> PacketBatch:
    """The inner frames of the IPv4 VXLAN datagrams long enough to hold one, in place in
    the receive buffer, addressed to the VM."""
    whole = batch.length >= INNER_MACS_AT + 14
    at = batch.start[whole]
    whole[whole] = ((batch.buf[at + 12] == 0x08) & (batch.buf[at + 13] == 0x00)
                    & (batch.buf[at + 23] == 17) & (batch.buf[at + 36] == 0x12)
                    & (batch.buf[at + 37] == 0xB5))  # UDP to port 4789
    inner = batch.start[whole] + INNER_MACS_AT
    batch.buf[inner[:, None] + np.arange(len(to_vm))] = np.frombuffer(to_vm, np.uint8)
    return PacketBatch(batch.buf, inner, batch.length[whole] - INNER_MACS_AT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--vm", "--local", "--peer", "--vm-mac", "--router-mac"):
        parser.add_argument(option, required=True)
    parser.add_argument("--underlay-if")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    vm = AfPacketPort(args.vm, rx_version=2)
    underlay = (AfPacketPort(args.underlay_if, rx_version=2) if args.underlay_if
                else UdpUnderlayPort(args.local, 4789))
    try:
        forward(vm, underlay, outer_template(args.local, args.peer),
                mac_to_bytes(args.vm_mac) + mac_to_bytes(args.router_mac))
    finally:
        vm.close()
        underlay.close()


if __name__ == "__main__":
    main()
