"""Protocol names and port/ICMP fields of SG and NACL rules (SG-R4..R6, NACL-R5)."""

from __future__ import annotations

from dataclasses import dataclass

ALL = -1
PROTO_NUMBERS = {"all": ALL, "-1": ALL, "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}
PORT_PROTOCOLS = (6, 17)
ICMP_PROTOCOLS = (1, 58)
PROTO_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6", ALL: "all"}


def proto_number(value: str | int) -> int:
    if isinstance(value, int):
        return ALL if value == -1 else value
    text = value.strip().lower()
    return PROTO_NUMBERS[text] if text in PROTO_NUMBERS else int(text)


def proto_name(number: int) -> str:
    return PROTO_NAMES.get(number, str(number))


@dataclass(frozen=True, slots=True)
class L4Match:
    """What a rule requires of the L4 header beyond the protocol number.

    Port ranges apply to the destination port (SG-R5, NACL-R2); ICMP type/code use -1 as
    wildcard (SG-R6). For `all` and protocols other than 6/17/1/58 nothing is checked (SG-R4).
    """

    proto: int
    port_lo: int = 0
    port_hi: int = 65535
    icmp_type: int = ALL
    icmp_code: int = ALL

    def matches(self, proto: int, dport: int, icmp_type: int, icmp_code: int) -> bool:
        if self.proto != ALL and self.proto != proto:
            return False
        if self.proto in PORT_PROTOCOLS:
            return self.port_lo <= dport <= self.port_hi
        if self.proto in ICMP_PROTOCOLS:
            type_ok = self.icmp_type == ALL or self.icmp_type == icmp_type
            return type_ok and (self.icmp_code == ALL or self.icmp_code == icmp_code)
        return True

    def covers_all_ports_of(self, proto: int) -> bool:
        """True when every packet of `proto` passes the L4 check (SG-R20's 'all ports')."""
        if self.proto == ALL:
            return True
        return self.proto == proto and self.port_lo == 0 and self.port_hi == 65535

    def describe(self) -> str:
        name = proto_name(self.proto)
        if self.proto in PORT_PROTOCOLS:
            ports = str(self.port_lo) if self.port_lo == self.port_hi else (
                f"{self.port_lo}-{self.port_hi}")
            return f"{name} {ports}"
        if self.proto in ICMP_PROTOCOLS and (self.icmp_type != ALL or self.icmp_code != ALL):
            return f"{name} type {self.icmp_type} code {self.icmp_code}"
        return name


def l4_match(
    proto: str | int, ports: str | int | None, icmp_type: int | None, icmp_code: int | None
) -> L4Match:
    number = proto_number(proto)
    if number in PORT_PROTOCOLS:
        lo, hi = parse_ports(ports)
        return L4Match(number, lo, hi)
    if number in ICMP_PROTOCOLS:
        return L4Match(
            number,
            icmp_type=ALL if icmp_type is None else icmp_type,
            icmp_code=ALL if icmp_code is None else icmp_code,
        )
    return L4Match(number)


def parse_ports(ports: str | int | None) -> tuple[int, int]:
    if ports is None:
        return 0, 65535
    text = str(ports).strip()
    if "-" in text:
        lo, hi = text.split("-", 1)
        return int(lo), int(hi)
    return int(text), int(text)
