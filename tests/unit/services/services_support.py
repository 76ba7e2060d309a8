"""Shared pieces of the service responder tests: a compiled Program and scapy framing.

scapy is the independent oracle: requests are built with it, replies dissected with it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Packet as ScapyPacket

from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.model import load_config
from smartnic.packet.addr import bytes_to_mac

NOW_UNIX_S = 1_700_000_000.25


def config_data(region: str = "eu-west-1") -> dict[str, Any]:
    return {
        "region": region,
        "account_id": "111122223333",
        "vpcs": [
            {"id": "vpc-a", "cidrs": ["10.0.0.0/16", "10.1.0.0/16"],
             "ipv6_cidrs": ["2001:db8:1234:1a00::/56"]},
            {"id": "vpc-b", "cidrs": ["10.9.0.0/16"]},
        ],
        "subnets": [
            {"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
             "ipv6_cidr": "2001:db8:1234:1a01::/64"},
            {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"},
            {"id": "subnet-9", "vpc": "vpc-b", "cidr": "10.9.1.0/24"},
        ],
        "security_groups": [{"id": "sg-web", "vpc": "vpc-a", "name": "web"}],
        "enis": [
            {"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.10", "10.0.1.11"],
             "ipv6": ["2001:db8:1234:1a01::10", "2001:db8:1234:1a01::11"],
             "instance_id": "i-0123456789abcdef0", "instance_type": "m5.large",
             "public_ip": "54.0.0.10", "sgs": ["sg-web"]},
            {"id": "eni-a2", "subnet": "subnet-2", "ips": ["10.0.2.12"],
             "instance_id": "i-0123456789abcdef0"},
            {"id": "eni-b", "subnet": "subnet-2", "ips": ["10.0.2.20"], "mtu": 1500},
            {"id": "eni-other", "subnet": "subnet-9", "ips": ["10.9.1.30"]},
        ],
    }  # fmt: skip


@cache
def program(region: str = "eu-west-1") -> Program:
    return compile_program(load_config(config_data(region)))


def vm_mac(eni_id: str, region: str = "eu-west-1") -> str:
    return bytes_to_mac(program(region).enis[eni_id].mac)


def router_mac(eni_id: str, region: str = "eu-west-1") -> str:
    prog = program(region)
    return bytes_to_mac(prog.vpcs[prog.enis[eni_id].vpc_id].router_mac)


def from_vm(eni_id: str, l3: ScapyPacket, region: str = "eu-west-1") -> bytes:
    """`l3` as the VM of `eni_id` sends it: from its MAC to the VPC router."""
    return bytes(Ether(src=vm_mac(eni_id, region), dst=router_mac(eni_id, region)) / l3)


def only_reply(frames: list[bytes]) -> ScapyPacket:
    assert len(frames) == 1, f"expected one reply, got {len(frames)}"
    return dissect(frames[0])


def dissect(frame: bytes) -> ScapyPacket:
    """The reply as scapy reads it, after checking its checksums against scapy's own."""
    packet = Ether(frame)
    rebuilt = packet.copy()
    if IP in rebuilt:
        del rebuilt[IP].chksum
    for layer in (UDP, TCP):
        if layer in rebuilt:
            del rebuilt[layer].chksum
    recomputed = Ether(bytes(rebuilt))
    if IP in packet:
        assert packet[IP].chksum == recomputed[IP].chksum, "bad IPv4 header checksum"
    for layer in (UDP, TCP):
        if layer in packet:
            assert packet[layer].chksum == recomputed[layer].chksum, f"bad {layer.__name__} sum"
    return packet


def ip_layer(packet: ScapyPacket) -> ScapyPacket:
    return packet[IP] if IP in packet else packet[IPv6]
