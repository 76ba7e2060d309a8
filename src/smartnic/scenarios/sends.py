"""Turn a `send` step of the scenario schema into the frames a sender would put on the wire.

The sender is an ENI (frames leave its VM port, addressed at layer 2 as its ARP cache would
have it: the peer's MAC on the same subnet, the VPC router's otherwise) or `internet`.
Defaults follow the schema: source = the sender's primary address of the destination's
family, IP total length 100, one packet.

`check_send` refuses a step whose fields are missing, mistyped or out of range with a
SendError naming the field (`dport: 70000 is out of range 0..65535`); `build_send` calls it,
and `trace` checks its options with it. The limits are data (INTEGER_LIMITS, MAX_SECONDS) so
a schema of the scenario files can take them over.
"""

from __future__ import annotations

import ipaddress
import math
import re
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
# Limits of a send step's fields (field → inclusive range); times are in virtual seconds.
MAX_COUNT = 1_000_000
MAX_SECONDS = 10 * 365 * 86400  # virtual time; flow-log timestamps stay within datetime's range
INTEGER_LIMITS = {
    "sport": (0, 65535), "dport": (0, 65535), "icmp_type": (0, 255), "icmp_code": (0, 255),
    "icmp_id": (0, 65535), "ip_id": (0, 65535), "length": (20, 65535),
    "fragment_size": (28, 65535), "count": (1, MAX_COUNT),
}  # fmt: skip
SECONDS_FIELDS = ("spread",)
INTEGER_TEXT = re.compile(r"[+-]?\d{1,10}")


class SendError(ValueError):
    """A send step that cannot be turned into a packet (unknown sender, bad field).

    `field` names the step's field at fault when there is one; `str()` starts with it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Send:
    origin: str  # eni id or "internet"
    frames: tuple[bytes, ...]  # one packet, or its fragments when the sender fragments
    count: int
    spread_s: float


def protocol_number(value: str | int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.lower() in PROTOCOLS:
        return PROTOCOLS[value.lower()]
    elif isinstance(value, str) and value.isdigit() and len(value) <= 3:
        number = int(value)
    else:
        raise SendError(f"unknown protocol {value!r} (tcp, udp, icmp, icmpv6 or 0..255)",
                        "proto")
    if not 0 <= number <= 255:
        raise SendError(f"{number} is out of range 0..255", "proto")
    return number


def check_send(spec: Mapping[str, Any]) -> None:
    """Refuse missing, mistyped or out-of-range fields with a SendError naming the field."""
    for name in ("from", "dst"):
        if spec.get(name) is None:
            raise SendError("required", name)
        if not isinstance(spec[name], str) or not spec[name]:
            raise SendError(f"must be a non-empty string, not {_shown(spec[name])}", name)
    version = _ip_version(spec["dst"], "dst")
    if spec.get("src") is not None and _ip_version(spec["src"], "src") != version:
        raise SendError(f"an IPv{6 if version == 4 else 4} source for an IPv{version} dst",
                        "src")
    protocol_number(spec.get("proto", "tcp"))
    for name, (low, high) in INTEGER_LIMITS.items():
        if spec.get(name) is not None:
            check_integer(spec[name], name, low, high)
    flags = spec.get("flags")
    if flags is not None and str(flags) not in TCP_FLAGS:
        raise SendError(f"{_shown(flags)} is not one of {', '.join(TCP_FLAGS)}", "flags")
    for name in SECONDS_FIELDS:
        if spec.get(name) is not None:
            check_seconds(spec[name], name)
    if not isinstance(spec.get("df", False), bool):
        raise SendError(f"{_shown(spec['df'])} is not true or false", "df")
    if spec.get("fragment_size") and version != 4:
        raise SendError("only IPv4 packets are fragmented by their sender", "fragment_size")


def check_integer(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, str) and INTEGER_TEXT.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SendError(f"{_shown(value)} is not an integer", field)
    if not low <= value <= high:
        raise SendError(f"{_shown(value)} is out of range {low}..{high}", field)
    return value


def check_seconds(value: object, field: str) -> float:
    """A time in virtual seconds: a finite number in 0..MAX_SECONDS."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SendError(f"{_shown(value)} is not a number of seconds", field)
    if not math.isfinite(value):
        raise SendError(f"{value} is not a finite number of seconds", field)
    if not 0 <= value <= MAX_SECONDS:
        raise SendError(f"{_shown(value)} is out of range 0..{MAX_SECONDS} seconds", field)
    return float(value)


def _shown(value: object, limit: int = 40) -> str:
    if isinstance(value, int) and value.bit_length() > 64:  # repr refuses > 4300 digits
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _ip_version(value: str, field: str) -> int:
    try:
        return ipaddress.ip_address(value).version
    except ValueError:
        raise SendError(f"{_shown(value)} is not an IPv4 or IPv6 address", field) from None


def build_send(program: Program, spec: Mapping[str, Any]) -> Send:
    check_send(spec)
    origin = str(spec["from"])
    version, dst = ip_to_int(str(spec["dst"]))
    src = _source(program, origin, version, spec.get("src"))
    proto = protocol_number(spec.get("proto", "tcp"))
    eth_src, eth_dst = _macs(program, origin, version, dst)
    flags = spec.get("flags")
    try:
        frame = _frame(spec, version, src, dst, proto, eth_src, eth_dst, flags)
    except ValueError as error:  # the only one left: a length too small for the headers
        raise SendError(str(error), "length") from None
    frames: tuple[bytes, ...] = (frame,)
    if spec.get("fragment_size"):
        if spec.get("df"):
            raise SendError("needs df: false", "fragment_size")
        try:
            frames = tuple(fragment_ipv4(frame, int(spec["fragment_size"])))
        except ValueError as error:
            raise SendError(str(error), "fragment_size") from None
    return Send(origin, frames, int(spec.get("count", 1)), float(spec.get("spread", 0.0)))


def _frame(spec: Mapping[str, Any], version: int, src: int, dst: int, proto: int,
           eth_src: bytes, eth_dst: bytes, flags: object) -> bytes:
    return build_frame(
        eth_src=eth_src, eth_dst=eth_dst, ip_version=version, src_ip=src, dst_ip=dst,
        proto=proto, sport=int(spec.get("sport", 40000)), dport=int(spec.get("dport", 80)),
        tcp_flags=TCP_FLAGS[str(flags)] if flags else (0x02 if proto == 6 else 0),
        seq=1, ack=1 if flags and "A" in str(flags) else 0,
        icmp_type=int(spec.get("icmp_type", 8 if version == 4 else 128)),
        icmp_code=int(spec.get("icmp_code", 0)), icmp_id=int(spec.get("icmp_id", 1)),
        icmp_seq=1, ip_total_length=int(spec.get("length", DEFAULT_LENGTH_BYTES)),
        df=bool(spec.get("df", False)), ip_id=int(spec.get("ip_id", 1)),
    )


def _source(program: Program, origin: str, version: int, src: object) -> int:
    if src is not None:
        return ip_to_int(str(src))[1]
    if origin == "internet":
        return ip_to_int(INTERNET_SOURCE[version])[1]
    eni = program.enis.get(origin)
    if eni is None:
        raise SendError(f"unknown sender {origin!r} (an ENI id or internet)", "from")
    if version == 4:
        return eni.primary_ipv4
    if not eni.ipv6:
        raise SendError(f"{origin} has no IPv6 address to send to an IPv6 dst", "from")
    return min(eni.ipv6)


def _macs(program: Program, origin: str, version: int, dst: int) -> tuple[bytes, bytes]:
    if origin == "internet":
        return INTERNET_ROUTER_MAC, b"\x0e" + bytes(5)
    eni = program.enis.get(origin)
    if eni is None:
        raise SendError(f"unknown sender {origin!r} (an ENI id or internet)", "from")
    if version == 4 and dst == 0xFFFFFFFF:
        return eni.mac, BROADCAST_MAC
    subnet = program.subnet_of(eni)
    next_hop = dst if subnet.contains(version, dst) else subnet.router_ip(version)
    resolved = l2.resolve(program, eni, version, next_hop)
    return eni.mac, resolved or program.vpcs[eni.vpc_id].router_mac
