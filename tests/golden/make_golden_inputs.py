"""Write the golden input pcaps (tests/golden/data/*.in.pcap) deterministically with scapy.

Run: `.venv/bin/python tests/golden/make_golden_inputs.py`. Inputs only; expected outputs are
regenerated explicitly with SMARTNIC_REGENERATE_GOLDEN=1 (see golden_cases.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN
from scapy.packet import Packet
from scapy.utils import wrpcap

sys.path.insert(0, str(Path(__file__).parent))
from golden_cases import (  # noqa: E402
    CONFIG,
    DATA,
    MAC,
    START_S,
    STEP_S,
    UNDERLAY,
    VM_NEXT_HOP_MAC,
    VNI,
)

VXLAN_PORT = 4789


def _sender_tag(eni_id: str) -> int:
    """The identity tag the compiler gives an ENI (carried in the VXLAN group policy id)."""
    from smartnic.compiler.compile import compile_program
    from smartnic.model import load_config

    return compile_program(load_config(CONFIG)).enis[eni_id].tag


def _from_vm(eni: str, src: str, dst: str, l4: Packet) -> Packet:
    return Ether(src=MAC[eni], dst=VM_NEXT_HOP_MAC) / IP(src=src, dst=dst, id=1) / l4


def _from_host3(l4: Packet, router_mac: str) -> Packet:
    inner = Ether(src=router_mac, dst=MAC["eni-a"]) / IP(src="10.0.2.30", dst="10.0.1.10",
                                                          id=7) / l4
    return (Ether(src="02:5e:c6:12:00:03", dst="02:5e:c6:12:00:01")
            / IP(src=UNDERLAY["host-3"], dst=UNDERLAY["host-1"], flags="DF", id=0)
            / UDP(sport=50123, dport=VXLAN_PORT, chksum=0)
            / VXLAN(flags=0x88, gpid=_sender_tag("eni-c"), vni=VNI) / inner)


def _router_mac() -> str:
    from smartnic.compiler.compile import compile_program
    from smartnic.model import load_config

    mac = compile_program(load_config(CONFIG)).vpcs["vpc-a"].router_mac
    return ":".join(f"{b:02x}" for b in mac)


def inputs() -> dict[str, list[Packet]]:
    router = _router_mac()
    payload = b"golden-payload-0123456789"
    return {
        "vm_to_underlay_vxlan": [
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30", TCP(sport=40000, dport=22, flags="S")),
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30", ICMP(type=8, id=9, seq=1) / payload),
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30",
                     TCP(sport=40001, dport=443, flags="PA", seq=5, ack=9) / payload),
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30",
                     TCP(sport=40001, dport=443, flags="PA", seq=5, ack=9) / payload),
        ],
        "underlay_to_vm": [
            _from_host3(TCP(sport=50000, dport=22, flags="S"), router),
            _from_host3(TCP(sport=50001, dport=80, flags="S"), router),
            _from_host3(ICMP(type=8, id=3) / payload, router),
        ],
        "sg_drop": [
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30", UDP(sport=40000, dport=53) / payload),
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30", TCP(sport=40000, dport=80, flags="S")),
            _from_vm("eni-a", "10.0.1.10", "198.51.100.7", ICMP(type=8, id=4)),
        ],
        "nacl_drop": [
            _from_vm("eni-a", "10.0.1.10", "10.0.2.30", TCP(sport=40000, dport=25, flags="S")),
            _from_vm("eni-a", "10.0.1.10", "10.0.1.20", TCP(sport=40000, dport=25, flags="S")),
        ],
        "nacl_drop_underlay": [
            _from_host3(TCP(sport=50002, dport=23, flags="S"), router),
            _from_host3(TCP(sport=50003, dport=22, flags="S"), router),
        ],
    }


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, packets in inputs().items():
        for index, packet in enumerate(packets):
            packet.time = START_S + index * STEP_S
        wrpcap(str(DATA / f"{name}.in.pcap"), packets)
        print(f"wrote {name}.in.pcap ({len(packets)} frames)")


if __name__ == "__main__":
    main()
