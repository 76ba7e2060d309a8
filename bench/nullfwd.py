"""The null forwarder: smartnic's own ports and rings moving frames with no policy at all.

`python -m bench.nullfwd --vm IFNAME --local IP --peer IP --vm-mac MAC --router-mac MAC`,
run in a host namespace of a `smartnic up` topology whose engines were stopped
(bench/anchors/null.py). Frames from the VM port get a fixed VXLAN outer header to the
peer host and go out of the UDP underlay port (sendmmsg, as the engine's); frames from the
underlay lose the outer header, are addressed to the local VM (destination MAC = the VM,
source = the VPC router, as the engine would) and go out of the VM port's TX ring. No
parsing, lookup, conntrack or checks: the I/O ceiling of the real path on this machine,
the figure smartnic's end-to-end rate is set against. SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import select
import signal
import struct

from smartnic.packet import encapsulate, ip_to_int, mac_to_bytes
from smartnic.ports.afpacket import AfPacketPort
from smartnic.ports.udp import UdpUnderlayPort

OUTER_BYTES = 50  # Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
UDP_LENGTH_AT = 38
BUDGET = 256
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
    head, tail = outer[:UDP_LENGTH_AT], outer[UDP_LENGTH_AT + 2:]
    length = struct.Struct("!H")
    poller = select.poll()
    for port in (vm, underlay):
        poller.register(port.fileno(), select.POLLIN)
    while running:
        moved = 0
        frames = vm.rx_batch(BUDGET)
        if frames:
            underlay.tx_batch([head + length.pack(len(f) + 16) + tail + f for f in frames])
            moved += len(frames)
        frames = underlay.rx_batch(BUDGET)
        if frames:
            vm.tx_batch([to_vm + f[OUTER_BYTES + 12:] for f in frames])
            moved += len(frames)
        if not moved:
            poller.poll(20)


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
