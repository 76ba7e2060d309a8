"""Turn a `send` step of the scenario schema into the frames a sender would put on the wire.

The sender is an ENI (frames leave its VM port, addressed at layer 2 as its ARP cache would
have it: the peer's MAC on the same subnet, the VPC router's otherwise) or `internet`.
Defaults follow the schema: source = the sender's primary address of the destination's
family, IP total length 100, one packet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartnic.compiler.program import Program
from smartnic.dataplane import l2
from smartnic.dataplane.edge import INTERNET_ROUTER_MAC
from smartnic.packet import build_frame, fragment_ipv4, ip_to_int

TCP_FLAGS = {"S": 0x02, "SA": 0x12, "A": 0x10, "PA": 0x18, "F": 0x01, "FA": 0x11, "R": 0x04,
             "RA": 0x14}
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
INTERNET_SOURCE = {4: "198.51.100.10", 6: "2001:db8:ffff::10"}
BROADCAST_MAC = b"\xff" * 6
DEFAULT_LENGTH_BYTES = 100


class SendError(ValueError):
    """A send step that cannot be turned into a packet (unknown sender, bad field)."""


@dataclass(frozen=True, slots=True)
class Send:
    origin: str  # eni id or "internet"
    frames: tuple[bytes, ...]  # one packet, or its fragments when the sender fragments
    count: int
    spread_s: float


def protocol_number(value: str | int) -> int:
    if isinstance(value, int):
        return value
    text = str(value).lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    if text.isdigit():
        return int(text)
    raise SendError(f"unknown protocol {value!r}")


def build_send(program: Program, spec: Mapping[str, Any]) -> Send:
    origin = str(spec["from"])
    version, dst = ip_to_int(str(spec["dst"]))
    src = _source(program, origin, version, spec.get("src"))
    proto = protocol_number(spec.get("proto", "tcp"))
    eth_src, eth_dst = _macs(program, origin, version, dst)
    flags = spec.get("flags")
    frame = build_frame(
        eth_src=eth_src, eth_dst=eth_dst, ip_version=version, src_ip=src, dst_ip=dst,
        proto=proto, sport=int(spec.get("sport", 40000)), dport=int(spec.get("dport", 80)),
        tcp_flags=TCP_FLAGS[str(flags)] if flags else (0x02 if proto == 6 else 0),
        seq=1, ack=1 if flags and "A" in str(flags) else 0,
        icmp_type=int(spec.get("icmp_type", 8 if version == 4 else 128)),
        icmp_code=int(spec.get("icmp_code", 0)), icmp_id=int(spec.get("icmp_id", 1)),
        icmp_seq=1, ip_total_length=int(spec.get("length", DEFAULT_LENGTH_BYTES)),
        df=bool(spec.get("df", False)), ip_id=int(spec.get("ip_id", 1)),
    )
    frames: tuple[bytes, ...] = (frame,)
    if spec.get("fragment_size"):
        if spec.get("df"):
            raise SendError("fragment_size needs df: false")
        frames = tuple(fragment_ipv4(frame, int(spec["fragment_size"])))
    return Send(origin, frames, int(spec.get("count", 1)), float(spec.get("spread", 0.0)))


def _source(program: Program, origin: str, version: int, src: object) -> int:
    if src is not None:
        return ip_to_int(str(src))[1]
    if origin == "internet":
        return ip_to_int(INTERNET_SOURCE[version])[1]
    eni = program.enis.get(origin)
    if eni is None:
        raise SendError(f"unknown sender {origin!r}")
    if version == 4:
        return eni.primary_ipv4
    if not eni.ipv6:
        raise SendError(f"{origin} has no IPv6 address")
    return min(eni.ipv6)


def _macs(program: Program, origin: str, version: int, dst: int) -> tuple[bytes, bytes]:
    if origin == "internet":
        return INTERNET_ROUTER_MAC, b"\x0e" + bytes(5)
    eni = program.enis.get(origin)
    if eni is None:
        raise SendError(f"unknown sender {origin!r}")
    if version == 4 and dst == 0xFFFFFFFF:
        return eni.mac, BROADCAST_MAC
    subnet = program.subnet_of(eni)
    next_hop = dst if subnet.contains(version, dst) else subnet.router_ip(version)
    resolved = l2.resolve(program, eni, version, next_hop)
    return eni.mac, resolved or program.vpcs[eni.vpc_id].router_mac
