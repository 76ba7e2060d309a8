"""The null forwarder: smartnic's own ports and rings moving frames with no policy at all.

`python -m bench.nullfwd --vm IFNAME --local IP --peer IP --vm-mac MAC --router-mac MAC`,
run in a host namespace of a `smartnic up` topology whose engines were stopped
(bench/anchors/null.py). Frames from the VM port get a fixed VXLAN outer header to the
peer host and go out of the UDP underlay port (sendmmsg, as the engine's); frames from the
underlay lose the outer header, are addressed to the local VM (destination MAC = the VM,
source = the VPC router, as the engine would) and go out of the VM port's TX ring. No
parsing, lookup, conntrack or checks: the I/O ceiling of the real path on this machine,
the figure smartnic's end-to-end rate is set against. Frames move as the engines move
them: as arrays (`rx_packets`/`tx_packets`), headers written for a whole batch with numpy
(a few frames, where numpy's fixed cost is more than the frames', one by one). SIGTERM
ends it.
"""

from __future__ import annotations

import argparse
import select
import signal
import struct

import numpy as np

from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.packet import encapsulate, ip_to_int, mac_to_bytes
from smartnic.ports.afpacket import AfPacketPort
from smartnic.ports.udp import UdpUnderlayPort

OUTER_BYTES = 50  # Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
UDP_LENGTH_AT = 38
INNER_MACS_AT = OUTER_BYTES  # the inner frame's destination and source MACs
BUDGET = 256
VECTOR_MIN_FRAMES = 16
running = True


def _stop(*_: object) -> None:
    global running
    running = False


def outer_template(local: str, peer: str) -> bytes:
    frame = encapsulate(bytes(14), kind="vxlan", vni=1, outer_src_mac="02:00:00:00:00:01",
                        outer_dst_mac="02:00:00:00:00:02", outer_src_ip=ip_to_int(local)[1],
                        outer_dst_ip=ip_to_int(peer)[1], udp_src_port=4789)
    return frame[:OUTER_BYTES]


def forward(vm: AfPacketPort, underlay: UdpUnderlayPort, outer: bytes, to_vm: bytes) -> None:
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
    """Every frame behind the outer header, its UDP length set (the underlay port reads
    only the destination and the UDP length of the outer headers)."""
    if len(batch) < VECTOR_MIN_FRAMES:
        head, tail, length = outer[:UDP_LENGTH_AT], outer[UDP_LENGTH_AT + 2:], struct.Struct("!H")
        return PacketBatch.from_frames([head + length.pack(len(f) + 16) + tail + f
                                        for f in batch.frames()])
    lengths = batch.length.astype(np.int64)
    out_lengths = lengths + OUTER_BYTES
    out_starts = np.cumsum(out_lengths) - out_lengths
    out = np.empty(int(out_lengths.sum()), np.uint8)
    out[out_starts[:, None] + np.arange(OUTER_BYTES)] = np.frombuffer(outer, np.uint8)
    udp_length = lengths + 16  # UDP 8 + VXLAN 8
    out[out_starts + UDP_LENGTH_AT] = udp_length >> 8
    out[out_starts + UDP_LENGTH_AT + 1] = udp_length & 0xFF
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(out_starts + OUTER_BYTES, lengths) + within] = batch.buf[
        np.repeat(batch.start, lengths) + within]
    return PacketBatch(out, out_starts, out_lengths.astype(np.int32), out.shape[0])


def to_vm_frames(batch: PacketBatch, to_vm: bytes) -> PacketBatch:
    """The inner frames (of datagrams long enough to hold one), in place in the receive
    buffer, addressed to the VM."""
    whole = batch.length >= INNER_MACS_AT + 14
    inner = batch.start[whole] + INNER_MACS_AT
    batch.buf[inner[:, None] + np.arange(len(to_vm))] = np.frombuffer(to_vm, np.uint8)
    return PacketBatch(batch.buf, inner, batch.length[whole] - INNER_MACS_AT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for option in ("--vm", "--local", "--peer", "--vm-mac", "--router-mac"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    vm = AfPacketPort(args.vm, rx_version=2)
    underlay = UdpUnderlayPort(args.local, 4789)
    try:
        forward(vm, underlay, outer_template(args.local, args.peer),
                mac_to_bytes(args.vm_mac) + mac_to_bytes(args.router_mac))
    finally:
        vm.close()
        underlay.close()


if __name__ == "__main__":
    main()
