"""Validation of ENIs, flow logs and hosts.

Input: a normalized Config and its ConfigIndex. Output: nothing, or the first ConfigError.
Rules: ENI-R1 (addresses from the subnet, each used by one ENI per VPC, at most 50 per
family; IPv6 only in an IPv6 subnet), ADDR-R3/R4 (reserved subnet addresses), SG-R11 and
§1.5 (at most 5 SGs per ENI, all of the ENI's VPC), SG-R24 (conntrack timeout ranges),
MTU-R1 (an ENI with IPv6 needs MTU >= 1280), ENI-R4 (unique unicast MACs), at most
MAX_ENIS ENIs (the overlay's 16-bit sender identity), FL-R1/R5 (flow-log resource and
custom fields), host placement.
"""

from __future__ import annotations

from smartnic.model.addressing import (
    Address,
    is_public_ipv4,
    parse_address,
    parse_cidr,
    reserved_subnet_addresses,
)
from smartnic.model.config import Config, Eni, Subnet
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex
from smartnic.model.limits import IPV6_MIN_MTU, MAX_ADDRESSES_PER_FAMILY, MAX_ENIS
from smartnic.telemetry.flowlogs.fields import FIELD_VERSIONS

MAX_SGS_PER_ENI = 5
CONNTRACK_RANGES_S = {  # SG-R24
    "tcp_established_timeout": (60, 432000),
    "udp_stream_timeout": (60, 180),
    "udp_timeout": (30, 60),
}


def check_enis(config: Config, index: ConfigIndex) -> None:
    address_owner: dict[tuple[str, Address], str] = {}
    public_owner: dict[str, str] = {}
    mac_owner: dict[str, str] = {}
    if len(config.enis) > MAX_ENIS:
        raise ConfigError(
            config.enis[MAX_ENIS].id, "id", f"more than {MAX_ENIS} ENIs: the overlay's "
            "16-bit sender identity cannot tell them apart (SG-R9a)",
        )
    for eni in config.enis:
        subnet = index.subnets.get(eni.subnet)
        if subnet is None:
            raise ConfigError(eni.id, "subnet", f"unknown subnet {eni.subnet}")
        _check_ipv4_addresses(eni, subnet, address_owner)
        _check_ipv6_addresses(eni, subnet, address_owner)
        _check_public_ip(eni, public_owner)
        _check_eni_sgs(eni, subnet, index)
        _check_conntrack(eni)
        _check_mtu(eni)
        _check_mac(eni, mac_owner)


def _claim(
    eni: Eni, field: str, vpc_id: str, address: Address, owner: dict[tuple[str, Address], str]
) -> None:
    if (vpc_id, address) in owner:
        raise ConfigError(eni.id, field, f"{address} is also used by {owner[vpc_id, address]}")
    owner[vpc_id, address] = eni.id


def _check_address_count(eni: Eni, field: str) -> None:
    if len(getattr(eni, field)) > MAX_ADDRESSES_PER_FAMILY:
        raise ConfigError(
            eni.id, field, f"at most {MAX_ADDRESSES_PER_FAMILY} addresses per ENI (ENI-R1 quota)"
        )


def _check_ipv4_addresses(eni: Eni, subnet: Subnet, owner: dict[tuple[str, Address], str]) -> None:
    _check_address_count(eni, "ips")
    block = parse_cidr(subnet.cidr, subnet.id, "cidr")
    reserved = reserved_subnet_addresses(block)
    for position, text in enumerate(eni.ips):
        field = f"ips[{position}]"
        address = parse_address(text, eni.id, field)
        if address.version != 4:
            raise ConfigError(eni.id, field, f"{address} is not IPv4 (IPv6 goes in ipv6)")
        if address not in block:
            raise ConfigError(eni.id, field, f"{address} is not inside {subnet.id} ({block})")
        if address in reserved:
            raise ConfigError(
                eni.id, field, f"{address} is a reserved address of {subnet.id} (ADDR-R3)"
            )
        _claim(eni, field, subnet.vpc, address, owner)


def _check_ipv6_addresses(eni: Eni, subnet: Subnet, owner: dict[tuple[str, Address], str]) -> None:
    if eni.ipv6 and subnet.ipv6_cidr is None:
        raise ConfigError(eni.id, "ipv6", f"{subnet.id} has no IPv6 CIDR")
    if not eni.ipv6:
        return
    _check_address_count(eni, "ipv6")
    block = parse_cidr(subnet.ipv6_cidr, subnet.id, "ipv6_cidr")
    reserved = reserved_subnet_addresses(block)
    for position, text in enumerate(eni.ipv6):
        field = f"ipv6[{position}]"
        address = parse_address(text, eni.id, field)
        if address.version != 6 or address not in block:
            raise ConfigError(eni.id, field, f"{address} is not inside {subnet.id} ({block})")
        if address in reserved:
            raise ConfigError(
                eni.id, field, f"{address} is a reserved IPv6 address of {subnet.id} (ADDR-R4)"
            )
        _claim(eni, field, subnet.vpc, address, owner)


def _check_public_ip(eni: Eni, owner: dict[str, str]) -> None:
    if eni.public_ip is None:
        return
    if not is_public_ipv4(parse_address(eni.public_ip, eni.id, "public_ip")):
        raise ConfigError(eni.id, "public_ip", f"{eni.public_ip} is not a public IPv4 address")
    if eni.public_ip in owner:
        raise ConfigError(
            eni.id, "public_ip", f"{eni.public_ip} is also used by {owner[eni.public_ip]}"
        )
    owner[eni.public_ip] = eni.id


def _check_eni_sgs(eni: Eni, subnet: Subnet, index: ConfigIndex) -> None:
    sgs = eni.sgs or []
    if len(sgs) > MAX_SGS_PER_ENI:
        raise ConfigError(eni.id, "sgs", "at most 5 security groups per ENI (quota)")
    for position, sg_id in enumerate(sgs):
        field = f"sgs[{position}]"
        sg = index.security_groups.get(sg_id)
        if sg is None:
            raise ConfigError(eni.id, field, f"unknown security group {sg_id}")
        if sg.vpc != subnet.vpc:
            raise ConfigError(
                eni.id, field, f"{sg_id} belongs to {sg.vpc}, the ENI to {subnet.vpc} (SG-R11)"
            )
        if sg_id in sgs[:position]:
            raise ConfigError(eni.id, field, f"{sg_id} is listed twice")


def _check_conntrack(eni: Eni) -> None:
    for name, (low, high) in CONNTRACK_RANGES_S.items():
        value = getattr(eni.conntrack, name)
        if value is not None and not low <= value <= high:
            raise ConfigError(
                eni.id, f"conntrack.{name}", f"must be within {low}..{high} seconds (SG-R24)"
            )


def _check_mtu(eni: Eni) -> None:
    if eni.ipv6 and eni.mtu < IPV6_MIN_MTU:
        raise ConfigError(
            eni.id, "mtu", f"an ENI with IPv6 addresses needs MTU >= {IPV6_MIN_MTU} (RFC 8200)"
        )


def _check_mac(eni: Eni, owner: dict[str, str]) -> None:
    mac = eni.mac or ""
    if int(mac[:2], 16) & 0x01:
        raise ConfigError(eni.id, "mac", f"{mac} is a multicast MAC; an ENI needs unicast")
    if mac in owner:
        raise ConfigError(eni.id, "mac", f"{mac} is also used by {owner[mac]}")
    owner[mac] = eni.id


def check_flow_logs(config: Config, index: ConfigIndex) -> None:
    for flow_log in config.flow_logs:
        resource = flow_log.resource
        if not any(resource in objects for objects in (index.vpcs, index.subnets, index.enis)):
            raise ConfigError(flow_log.id, "resource", f"unknown VPC, subnet or ENI {resource}")
        fields = list(flow_log.format)
        if not fields:
            raise ConfigError(flow_log.id, "format", "a custom format needs at least one field")
        for position, name in enumerate(fields):
            if name not in FIELD_VERSIONS:
                raise ConfigError(flow_log.id, f"format[{position}]", f"unknown field {name!r}")
            if name in fields[:position]:
                raise ConfigError(flow_log.id, f"format[{position}]", f"{name!r} listed twice")


def check_hosts(config: Config, index: ConfigIndex) -> None:
    eni_host: dict[str, str] = {}
    underlay_host: dict[Address, str] = {}
    for host in config.hosts:
        for position, eni_id in enumerate(host.enis):
            field = f"enis[{position}]"
            if eni_id not in index.enis:
                raise ConfigError(host.id, field, f"unknown ENI {eni_id}")
            if eni_id in eni_host:
                raise ConfigError(host.id, field, f"{eni_id} is also on {eni_host[eni_id]}")
            eni_host[eni_id] = host.id
        underlay = parse_address(host.underlay_ip, host.id, "underlay_ip")
        if underlay in underlay_host:
            raise ConfigError(
                host.id, "underlay_ip", f"{underlay} is also used by {underlay_host[underlay]}"
            )
        underlay_host[underlay] = host.id
