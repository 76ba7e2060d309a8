"""The desired state of a cloud: VPCs, subnets, security groups, NACLs, routes, ENIs, hosts.

Field names follow the `config` schema of the scenario files (snake_case, ids as strings), so a
scenario topology loads as it is. Objects are frozen once validated; a change is a new Config.
Structural checks (types, enums, ranges of single fields) live here; checks that need several
objects (references, overlaps, reserved addresses, quotas) live in `model.validate`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from smartnic.model.base import Frozen
from smartnic.model.limits import (
    ACCOUNT_ID,
    ENI_MTU_RANGE,
    MAX_CONNTRACK_ROWS,
    MAX_PPS,
    PREFIX_LIST_MAX_ENTRIES,
    REGION,
)
from smartnic.model.mirror import Mirror

Protocol = str | int  # "tcp" | "udp" | "icmp" | "icmpv6" | "all" | IANA number (-1 = all)


class Vpc(Frozen):
    id: str
    cidrs: list[str] = Field(min_length=1)
    ipv6_cidrs: list[str] = []
    default_sg: str | None = None
    default_nacl: str | None = None
    main_route_table: str | None = None
    vni: int | None = Field(default=None, ge=1, le=0xFFFFFF)
    enable_dns_support: bool = True


class Subnet(Frozen):
    id: str
    vpc: str
    cidr: str
    ipv6_cidr: str | None = None
    nacl: str | None = None
    route_table: str | None = None
    availability_zone_id: str | None = Field(default=None, max_length=64)


class SgRule(Frozen):
    proto: Protocol
    peer: str
    ports: str | int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    description: str | None = Field(default=None, max_length=255)
    rule_id: str | None = None


class SecurityGroup(Frozen):
    id: str
    vpc: str
    default: bool = False
    name: str | None = None
    # None means "omitted": ingress defaults to [], egress to allow-all IPv4 (SG-R13).
    ingress: list[SgRule] | None = None
    egress: list[SgRule] | None = None


class NaclRule(Frozen):
    n: int
    action: Literal["allow", "deny"]
    proto: Protocol
    cidr: str
    ports: str | int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None


class Nacl(Frozen):
    id: str
    vpc: str
    ingress: list[NaclRule] = []
    egress: list[NaclRule] = []


class Route(Frozen):
    dst: str  # CIDR or prefix-list id
    target: str
    propagated: bool = False


class RouteTable(Frozen):
    id: str
    vpc: str
    main: bool = False
    routes: list[Route] = []
    edge_associations: list[str] = []


class PrefixList(Frozen):
    id: str
    max_entries: int = Field(ge=1, le=PREFIX_LIST_MAX_ENTRIES)
    entries: list[str] = []
    aws_managed: bool = False
    # None: taken from the entries (normalization); an empty list of unknown family stays None.
    address_family: Literal["IPv4", "IPv6"] | None = None


class Peering(Frozen):
    id: str
    a: str
    b: str
    state: str = "active"


class Gateway(Frozen):
    id: str
    vpc: str


class ConntrackSettings(Frozen):
    tcp_established_timeout: int | None = None
    udp_stream_timeout: int | None = None
    udp_timeout: int | None = None


class EniLimits(Frozen):  # engine ranges (model.limits)
    conntrack_max: int | None = Field(default=None, ge=1, le=MAX_CONNTRACK_ROWS)
    pps: int | None = Field(default=None, ge=1, le=MAX_PPS)
    new_flows: int | None = Field(default=None, ge=1, le=MAX_PPS)  # openings per second


class Eni(Frozen):
    id: str
    subnet: str
    ips: list[str] = Field(min_length=1)
    ipv6: list[str] = []
    public_ip: str | None = None
    sgs: list[str] | None = None  # None: the VPC's default SG (SG-R14)
    src_dst_check: bool = True
    instance_type: str | None = Field(default=None, max_length=64)
    instance_id: str | None = None
    mac: str | None = None
    conntrack: ConntrackSettings = ConntrackSettings()
    limits: EniLimits = EniLimits()
    mtu: int = Field(default=9001, ge=ENI_MTU_RANGE[0], le=ENI_MTU_RANGE[1])
    # EC2 InterfaceType: "interface" for instance ENIs; others (nat_gateway, vpc_endpoint,
    # gateway_load_balancer_endpoint, ...) are requester-managed (FL-R9, TM-R1).
    interface_type: str = Field(default="interface", max_length=64)


class FlowLog(Frozen):
    id: str
    resource: str
    traffic: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    format: Literal["default"] | list[str] = "default"
    interval: Literal[60, 600] = 600


class Host(Frozen):
    id: str
    enis: list[str] = []
    underlay_ip: str | None = None
    # "kernel": a plain Linux VXLAN host (bridge + vxlan device, no smartnic engine). Its VMs
    # get no policy on their own side; engines send it RFC 7348 VXLAN without identity bits.
    kind: Literal["smartnic", "kernel"] = "smartnic"


class Config(Frozen):
    account_id: str = "123456789010"
    region: str = "us-east-1"
    vpcs: list[Vpc] = []
    subnets: list[Subnet] = []
    security_groups: list[SecurityGroup] = []
    nacls: list[Nacl] = []
    route_tables: list[RouteTable] = []
    prefix_lists: list[PrefixList] = []
    peerings: list[Peering] = []
    igws: list[Gateway] = []
    vgws: list[Gateway] = []
    enis: list[Eni] = []
    flow_logs: list[FlowLog] = []
    hosts: list[Host] = []
    overlay: Literal["vxlan", "geneve"] = "vxlan"
    # Traffic mirroring is checked (model.check_mirror) but not yet enforced by the data plane.
    mirror: Mirror | None = None

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_as_text(cls, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            return value
        if not 10**11 <= value < 10**12:  # also keeps str() off a 5000-digit number
            raise ValueError("an AWS account id is exactly 12 digits")
        return str(value)

    @field_validator("account_id")
    @classmethod
    def _twelve_digits(cls, value: str) -> str:
        if not ACCOUNT_ID.fullmatch(value):
            raise ValueError(f"an AWS account id is exactly 12 digits, not {_clipped(value)!r}")
        return value

    @field_validator("region")
    @classmethod
    def _region_name(cls, value: str) -> str:
        if not REGION.fullmatch(value):
            raise ValueError(f"not an AWS Region name like us-east-1: {_clipped(value)!r}")
        return value


def _clipped(text: str, limit: int = 40) -> str:
    """Long input is named by its start, so an error line stays one line."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
