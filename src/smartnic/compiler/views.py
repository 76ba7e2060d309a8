"""Read-only views of VPC objects with addresses as integers, as the data plane uses them."""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.cidr import Cidr
from smartnic.compiler.sg import SgPolicy
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts


@dataclass(frozen=True, slots=True)
class VpcView:
    id: str
    vni: int
    cidrs: tuple[Cidr, ...]
    ipv6_cidrs: tuple[Cidr, ...]
    dns_ipv4: int  # primary CIDR base + 2 (DNS-R1)
    dns_enabled: bool
    igw_id: str | None
    router_mac: bytes

    def contains(self, version: int, address: int) -> bool:
        blocks = self.cidrs if version == 4 else self.ipv6_cidrs
        return any(c.contains(version, address) for c in blocks)


@dataclass(frozen=True, slots=True)
class SubnetView:
    id: str
    vpc_id: str
    cidr: Cidr
    ipv6_cidr: Cidr | None
    nacl_id: str
    route_table_id: str
    reserved: frozenset[tuple[int, int]]  # ADDR-R3/R4: network, router, DNS, future, broadcast

    def contains(self, version: int, address: int) -> bool:
        if version == 4:
            return self.cidr.contains(4, address)
        return self.ipv6_cidr is not None and self.ipv6_cidr.contains(6, address)

    def router_ip(self, version: int) -> int:
        if version == 4:
            return self.cidr.network + 1
        return self.ipv6_cidr.network + 1 if self.ipv6_cidr else 0


@dataclass(frozen=True, slots=True)
class EniView:
    id: str
    tag: int
    mac: bytes
    subnet_id: str
    vpc_id: str
    host_id: str
    primary_ipv4: int
    ipv4: frozenset[int]
    ipv6: frozenset[int]
    public_ipv4: int | None
    src_dst_check: bool
    mtu: int
    sg_ids: tuple[str, ...]
    policy: SgPolicy
    timeouts: ConntrackTimeouts
    conntrack_max: int
    pps_limit: int | None
    instance_type: str | None
    instance_id: str | None
    new_flow_limit: int | None = None  # openings per second; None: the engine's default

    def owns(self, version: int, address: int) -> bool:
        return address in (self.ipv4 if version == 4 else self.ipv6)

    def addresses_text(self) -> list[str]:
        from smartnic.compiler.cidr import format_ip

        return [format_ip(4, a) for a in sorted(self.ipv4)] + [
            format_ip(6, a) for a in sorted(self.ipv6)
        ]


@dataclass(frozen=True, slots=True)
class HostView:
    id: str
    underlay_ip: int
    eni_ids: tuple[str, ...]
    kind: str = "smartnic"  # or "kernel": a plain VXLAN peer (RFC 7348, no sender identity)
