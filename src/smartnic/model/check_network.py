"""Validation of VPCs, subnets, peerings, gateways and prefix lists.

Input: a normalized Config and its ConfigIndex. Output: nothing, or the first ConfigError
in config order. Rules: ADDR-R1 (VPC IPv4 blocks), ADDR-R2 (subnets), ADDR-R4 (IPv6
blocks) — a block with host bits set is refused as AWS refuses it, after its prefix length
— RT-R10 (peerings, at most 125 per VPC), RT-R1 (default objects belong to their VPC),
SG-R10 (prefix lists), QUOTA.
"""

from __future__ import annotations

from collections import Counter

from smartnic.model.addressing import (
    LINK_LOCAL_V4,
    RESTRICTED_172_31,
    RESTRICTED_198_19,
    Network,
    check_aligned,
    family_name,
    network_within,
    networks_overlap,
    parse_cidr,
    rfc1918_block,
)
from smartnic.model.config import Config, Subnet, Vpc
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex

MAX_VPC_BLOCKS_PER_FAMILY = 5  # ADDR-R1, ADDR-R4 default quotas
VPC_IPV4_PREFIXES = range(16, 29)  # ADDR-R1
VPC_IPV6_PREFIXES = range(44, 61)  # ADDR-R4 [U]: Amazon gives /56, IPAM other sizes
MAX_PEERINGS_PER_VPC = 125  # RT-R10: 50 active by default, adjustable up to 125
PEERING_STATES = {
    "initiating-request", "pending-acceptance", "active", "deleted", "rejected", "failed",
    "expired", "provisioning", "deleting",
}  # fmt: skip


def check_vpcs(config: Config, index: ConfigIndex) -> None:
    vni_owner: dict[int, str] = {}
    for vpc in config.vpcs:
        _check_ipv4_blocks(vpc)
        _check_ipv6_blocks(vpc)
        if vpc.vni is not None:
            if vpc.vni in vni_owner:
                raise ConfigError(vpc.id, "vni", f"VNI {vpc.vni} also used by {vni_owner[vpc.vni]}")
            vni_owner[vpc.vni] = vpc.id
        _check_default_objects(vpc, index)


def _check_ipv4_blocks(vpc: Vpc) -> None:
    if len(vpc.cidrs) > MAX_VPC_BLOCKS_PER_FAMILY:
        raise ConfigError(vpc.id, "cidrs", "at most 5 IPv4 CIDR blocks per VPC (ADDR-R1)")
    blocks: list[Network] = []
    for position, text in enumerate(vpc.cidrs):
        field = f"cidrs[{position}]"
        block = parse_cidr(text, vpc.id, field)
        if block.version != 4:
            raise ConfigError(vpc.id, field, f"{text} is not an IPv4 CIDR (use ipv6_cidrs)")
        if block.prefixlen not in VPC_IPV4_PREFIXES:
            raise ConfigError(vpc.id, field, f"VPC prefix must be /16../28, not /{block.prefixlen}")
        if block.overlaps(LINK_LOCAL_V4):
            raise ConfigError(vpc.id, field, "link-local range not allowed (169.254.0.0/16)")
        check_aligned(text, vpc.id, field, "ADDR-R1")
        _check_no_overlap(vpc.id, field, block, blocks)
        if blocks:
            _check_secondary_block(vpc.id, field, blocks[0], block)
        blocks.append(block)


def _check_no_overlap(object_id: str, field: str, block: Network, earlier: list[Network]) -> None:
    for other in earlier:
        if networks_overlap(block, other):
            raise ConfigError(object_id, field, f"{block} overlaps {other}")


def _check_secondary_block(vpc_id: str, field: str, primary: Network, block: Network) -> None:
    """ADDR-R1 restrictions on secondary IPv4 blocks, by the primary block's range."""
    primary_range = rfc1918_block(primary)  # type: ignore[arg-type]
    block_range = rfc1918_block(block)  # type: ignore[arg-type]
    if block_range is not None and block_range != primary_range:
        raise ConfigError(
            vpc_id,
            field,
            f"RFC 1918 block {block} cannot be added to a VPC whose primary "
            f"CIDR is {primary} (ADDR-R1)",
        )
    if network_within(block, RESTRICTED_198_19) and not network_within(primary, RESTRICTED_198_19):
        raise ConfigError(vpc_id, field, "198.19.0.0/16 is a restricted range (ADDR-R1)")
    in_172 = primary_range is not None and primary_range.network_address.packed[0] == 172
    if in_172 and not network_within(primary, RESTRICTED_172_31):
        if network_within(block, RESTRICTED_172_31):
            raise ConfigError(
                vpc_id, field, "172.31.0.0/16 is restricted for a VPC in 172.16.0.0/12 (ADDR-R1)"
            )


def _check_ipv6_blocks(vpc: Vpc) -> None:
    if len(vpc.ipv6_cidrs) > MAX_VPC_BLOCKS_PER_FAMILY:
        raise ConfigError(vpc.id, "ipv6_cidrs", "at most 5 IPv6 CIDR blocks per VPC (ADDR-R4)")
    blocks: list[Network] = []
    for position, text in enumerate(vpc.ipv6_cidrs):
        field = f"ipv6_cidrs[{position}]"
        block = parse_cidr(text, vpc.id, field)
        if block.version != 6:
            raise ConfigError(vpc.id, field, f"{text} is not an IPv6 CIDR")
        if block.prefixlen not in VPC_IPV6_PREFIXES:
            raise ConfigError(vpc.id, field, "IPv6 VPC prefix must be /44../60 (ADDR-R4)")
        check_aligned(text, vpc.id, field, "ADDR-R4")
        _check_no_overlap(vpc.id, field, block, blocks)
        blocks.append(block)


def _check_default_objects(vpc: Vpc, index: ConfigIndex) -> None:
    owners = (
        ("default_sg", vpc.default_sg, index.security_groups),
        ("default_nacl", vpc.default_nacl, index.nacls),
        ("main_route_table", vpc.main_route_table, index.route_tables),
    )
    for field, object_id, objects in owners:
        owned = objects.get(object_id or "")
        if owned is None:
            raise ConfigError(vpc.id, field, f"unknown object {object_id}")
        if owned.vpc != vpc.id:
            raise ConfigError(vpc.id, field, f"{object_id} belongs to {owned.vpc}")


def check_subnets(config: Config, index: ConfigIndex) -> None:
    checked: list[Subnet] = []
    for subnet in config.subnets:
        vpc = index.vpcs.get(subnet.vpc)
        if vpc is None:
            raise ConfigError(subnet.id, "vpc", f"unknown VPC {subnet.vpc}")
        siblings = [other for other in checked if other.vpc == subnet.vpc]
        _check_subnet_ipv4(subnet, vpc, siblings)
        if subnet.ipv6_cidr is not None:
            _check_subnet_ipv6(subnet, vpc, siblings)
        _check_subnet_references(subnet, index)
        checked.append(subnet)


def _check_subnet_ipv4(subnet: Subnet, vpc: Vpc, siblings: list[Subnet]) -> None:
    block = parse_cidr(subnet.cidr, subnet.id, "cidr")
    if block.version != 4:
        raise ConfigError(subnet.id, "cidr", f"{subnet.cidr} is not an IPv4 CIDR")
    if block.prefixlen not in VPC_IPV4_PREFIXES:
        raise ConfigError(
            subnet.id, "cidr", f"subnet prefix must be /16../28, not /{block.prefixlen}"
        )
    check_aligned(subnet.cidr, subnet.id, "cidr", "ADDR-R2")
    if not any(network_within(block, parse_cidr(c, vpc.id, "cidrs")) for c in vpc.cidrs):
        raise ConfigError(subnet.id, "cidr", f"{block} is not inside a CIDR of {vpc.id}")
    for other in siblings:
        if networks_overlap(block, parse_cidr(other.cidr, other.id, "cidr")):
            raise ConfigError(subnet.id, "cidr", f"{block} overlaps {other.id} ({other.cidr})")


def _check_subnet_ipv6(subnet: Subnet, vpc: Vpc, siblings: list[Subnet]) -> None:
    block = parse_cidr(subnet.ipv6_cidr, subnet.id, "ipv6_cidr")
    if block.version != 6 or block.prefixlen != 64:
        raise ConfigError(subnet.id, "ipv6_cidr", f"IPv6 subnet must be /64, not {block}")
    check_aligned(subnet.ipv6_cidr or "", subnet.id, "ipv6_cidr", "ADDR-R4")
    vpc_blocks = [parse_cidr(c, vpc.id, "ipv6_cidrs") for c in vpc.ipv6_cidrs]
    if not any(network_within(block, vpc_block) for vpc_block in vpc_blocks):
        raise ConfigError(subnet.id, "ipv6_cidr", f"{block} is not inside an IPv6 CIDR of {vpc.id}")
    for other in siblings:
        if other.ipv6_cidr and networks_overlap(block, parse_cidr(other.ipv6_cidr, other.id, "")):
            raise ConfigError(subnet.id, "ipv6_cidr", f"{block} overlaps {other.id}")


def _check_subnet_references(subnet: Subnet, index: ConfigIndex) -> None:
    references = (
        ("nacl", subnet.nacl, index.nacls, "NACL"),
        ("route_table", subnet.route_table, index.route_tables, "route table"),
    )
    for field, object_id, objects, kind in references:
        target = objects.get(object_id or "")
        if target is None:
            raise ConfigError(subnet.id, field, f"unknown {kind} {object_id}")
        if target.vpc != subnet.vpc:
            raise ConfigError(subnet.id, field, f"{object_id} belongs to {target.vpc}")


def check_peerings(config: Config, index: ConfigIndex) -> None:
    pairs: dict[frozenset[str], str] = {}
    per_vpc: Counter[str] = Counter()
    for peering in config.peerings:
        for field in ("a", "b"):
            if getattr(peering, field) not in index.vpcs:
                raise ConfigError(peering.id, field, f"unknown VPC {getattr(peering, field)}")
        if peering.a == peering.b:
            raise ConfigError(peering.id, "b", "a peering needs two different VPCs")
        if peering.state not in PEERING_STATES:
            raise ConfigError(peering.id, "state", f"unknown peering state {peering.state!r}")
        pair = frozenset((peering.a, peering.b))
        if pair in pairs:
            raise ConfigError(peering.id, "b", f"VPCs already peered by {pairs[pair]} (RT-R10)")
        pairs[pair] = peering.id
        _check_peering_overlap(peering.id, index.vpcs[peering.a], index.vpcs[peering.b])
        per_vpc.update(pair)
        crowded = [vpc for vpc in sorted(pair) if per_vpc[vpc] > MAX_PEERINGS_PER_VPC]
        if crowded:
            raise ConfigError(
                peering.id, "a", f"{crowded[0]} has more than 125 peerings (quota, RT-R10)"
            )


def _check_peering_overlap(peering_id: str, first: Vpc, second: Vpc) -> None:
    for text_a in first.cidrs + first.ipv6_cidrs:
        for text_b in second.cidrs + second.ipv6_cidrs:
            block_a = parse_cidr(text_a, first.id, "cidrs")
            block_b = parse_cidr(text_b, second.id, "cidrs")
            if networks_overlap(block_a, block_b):
                raise ConfigError(
                    peering_id,
                    "b",
                    f"{first.id} {block_a} overlaps {second.id} {block_b} "
                    "(RT-R10: peered VPCs cannot have overlapping CIDRs)",
                )


def check_gateways(config: Config, index: ConfigIndex) -> None:
    for collection, kind in ((config.igws, "internet gateway"), (config.vgws, "VPN gateway")):
        attached: dict[str, str] = {}
        for gateway in collection:
            if gateway.vpc not in index.vpcs:
                raise ConfigError(gateway.id, "vpc", f"unknown VPC {gateway.vpc}")
            if gateway.vpc in attached:
                raise ConfigError(
                    gateway.id, "vpc", f"{gateway.vpc} already has {kind} {attached[gateway.vpc]}"
                )
            attached[gateway.vpc] = gateway.id


def check_prefix_lists(config: Config) -> None:
    for prefix_list in config.prefix_lists:
        if len(prefix_list.entries) > prefix_list.max_entries:
            raise ConfigError(
                prefix_list.id,
                "entries",
                f"{len(prefix_list.entries)} entries exceed max_entries {prefix_list.max_entries}",
            )
        seen: set[str] = set()
        for position, entry in enumerate(prefix_list.entries):
            field = f"entries[{position}]"
            family = family_name(parse_cidr(entry, prefix_list.id, field))
            if family != prefix_list.address_family:
                raise ConfigError(
                    prefix_list.id,
                    field,
                    f"{entry} is not {prefix_list.address_family}: "
                    "a prefix list holds CIDRs of one family",
                )
            if entry in seen:
                raise ConfigError(prefix_list.id, field, f"duplicate entry {entry}")
            seen.add(entry)
