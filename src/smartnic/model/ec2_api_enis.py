"""EC2 API actions on network interfaces.

* ModifyNetworkInterfaceAttribute: SourceDestCheck (ENI-R6) and Groups (SG-R11).
* Assign/UnassignPrivateIpAddresses: explicit PrivateIpAddresses or a
  SecondaryPrivateIpAddressCount (lowest free, non-reserved addresses of the subnet);
  AllowReassignment moves a secondary address from another ENI (ENI-R2); a primary address
  is never moved or unassigned.
* Assign/UnassignIpv6Addresses: Ipv6Addresses or Ipv6AddressCount, likewise.
"""

from __future__ import annotations

from typing import Any

from smartnic.model.addressing import (
    Address,
    canonical_address,
    parse_cidr,
    reserved_subnet_addresses,
)
from smartnic.model.aws_shapes import integer, texts
from smartnic.model.ec2_api_context import ApiContext, as_bool, required
from smartnic.model.errors import ConfigError

ADDRESS_FIELDS = {4: "ips", 6: "ipv6"}
MAX_ADDRESSES_PER_CALL = 50  # the per-ENI address quota of the largest instance types


def modify_attribute(ctx: ApiContext, params: dict[str, Any]) -> None:
    eni_id = required(params, "NetworkInterfaceId", ctx.op)
    eni = ctx.editable("enis", eni_id, "NetworkInterfaceId")
    changed = False
    if "SourceDestCheck" in params:
        eni["src_dst_check"] = as_bool(params["SourceDestCheck"], ctx.op, "SourceDestCheck")
        changed = True
    if "Groups" in params:
        eni["sgs"] = list(texts(params["Groups"], ctx.op, "Groups"))
        changed = True
    if not changed:
        raise ConfigError(eni_id, "SourceDestCheck", f"{ctx.op}: give SourceDestCheck or Groups")


def _vpc_addresses(ctx: ApiContext, vpc_id: str) -> dict[str, str]:
    """Every address in use in a VPC → the ENI holding it."""
    owners = {}
    for eni in ctx.current.enis:
        if ctx.subnet_vpc_id(eni.subnet) == vpc_id:
            owners.update({address: eni.id for address in eni.ips + eni.ipv6})
    return owners


def _free_addresses(ctx: ApiContext, eni_id: str, version: int, count: int) -> list[str]:
    subnet_id = next(eni.subnet for eni in ctx.current.enis if eni.id == eni_id)
    subnet = next(s for s in ctx.current.subnets if s.id == subnet_id)
    cidr = subnet.cidr if version == 4 else subnet.ipv6_cidr
    if cidr is None:
        raise ConfigError(eni_id, "Ipv6AddressCount", f"{subnet_id} has no IPv6 CIDR")
    block = parse_cidr(cidr, subnet_id, "cidr")
    taken = set(_vpc_addresses(ctx, subnet.vpc))
    reserved = reserved_subnet_addresses(block)
    free: list[str] = []
    candidate: Address = block.network_address
    while len(free) < count and candidate in block:
        if candidate not in reserved and str(candidate) not in taken:
            free.append(str(candidate))
        candidate += 1
    if len(free) < count:
        raise ConfigError(
            eni_id, ADDRESS_FIELDS[version], f"{subnet_id} has no {count} free addresses"
        )
    return free


def assign(ctx: ApiContext, params: dict[str, Any], version: int) -> None:
    eni_id = required(params, "NetworkInterfaceId", ctx.op)
    eni = ctx.editable("enis", eni_id, "NetworkInterfaceId")
    field = ADDRESS_FIELDS[version]
    list_param, count_param = (
        ("PrivateIpAddresses", "SecondaryPrivateIpAddressCount")
        if version == 4
        else ("Ipv6Addresses", "Ipv6AddressCount")
    )
    if params.get(list_param):
        listed = texts(params[list_param], ctx.op, list_param)
        wanted = [canonical_address(a, eni_id, list_param) for a in listed]
    elif params.get(count_param):
        count = integer(params[count_param], ctx.op, count_param)
        if not 1 <= count <= MAX_ADDRESSES_PER_CALL:
            raise ConfigError(eni_id, count_param, f"{count_param} must be within 1..50")
        wanted = _free_addresses(ctx, eni_id, version, count)
    else:
        raise ConfigError(eni_id, list_param, f"{ctx.op} needs {list_param} or {count_param}")
    allow_move = as_bool(params.get("AllowReassignment", False), ctx.op, "AllowReassignment")
    owners = _vpc_addresses(ctx, ctx.vpc_of("enis", eni_id).id)
    for address in wanted:
        owner = owners.get(address)
        if owner == eni_id:
            raise ConfigError(eni_id, field, f"{address} is already assigned to {eni_id}")
        if owner is not None:
            _release(ctx, owner, address, field, allow_move)
        eni.setdefault(field, []).append(address)


def _release(ctx: ApiContext, owner_id: str, address: str, field: str, allow_move: bool) -> None:
    owner = ctx.editable("enis", owner_id, "NetworkInterfaceId")
    if not allow_move or field == "ipv6":
        raise ConfigError(
            owner_id,
            field,
            f"{address} is in use by {owner_id} (ENI-R2: needs "
            "AllowReassignment; IPv6 addresses must be unassigned first)",
        )
    if canonical_address(owner[field][0], owner_id, field) == address:
        raise ConfigError(owner_id, field, f"{address} is the primary address of {owner_id}")
    owner[field] = [a for a in owner[field] if canonical_address(a, owner_id, field) != address]


def unassign(ctx: ApiContext, params: dict[str, Any], version: int) -> None:
    eni_id = required(params, "NetworkInterfaceId", ctx.op)
    eni = ctx.editable("enis", eni_id, "NetworkInterfaceId")
    field = ADDRESS_FIELDS[version]
    list_param = "PrivateIpAddresses" if version == 4 else "Ipv6Addresses"
    held = [canonical_address(a, eni_id, field) for a in eni.get(field, [])]
    for address in [
        canonical_address(a, eni_id, list_param)
        for a in texts(required(params, list_param, ctx.op), ctx.op, list_param)
    ]:
        if address not in held:
            raise ConfigError(eni_id, field, f"{address} is not assigned to {eni_id}")
        if version == 4 and address == held[0]:
            raise ConfigError(
                eni_id, field, "the primary private IPv4 address cannot be unassigned"
            )
        position = held.index(address)
        del held[position]
        del eni[field][position]
