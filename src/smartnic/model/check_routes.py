"""Validation of route tables: destinations, targets, local-route rules, edge associations.

Input: a normalized Config and its ConfigIndex. Output: nothing, or the first ConfigError.
Rules: ADDR-R5 (no routes inside 169.254.168.0/22 or fd00:ec2::/32; covering routes are
fine), RT-R2 (a route to a VPC CIDR only replaces the local target, with an ENI or GWLB
endpoint), RT-R3 (more specific than local only for a whole subnet CIDR to an ENI, NAT
gateway or GWLB endpoint), RT-R4 (propagated routes come only from a VPN gateway attached
to the table's VPC), RT-R5 (a target is `local` or an id of a target kind; an egress-only
IGW takes IPv6 destinations only; an existing ENI, instance or peering target belongs to
the table's VPC, as CreateRoute demands — a gateway attached elsewhere is a blackhole), RT-R7
(gateway route tables), RT-R11 (50 static routes per family, prefix lists weighing their
max_entries; 100 propagated; 200 route tables per VPC). Targets that do not exist are
allowed: they are blackhole routes (RT-R6).
"""

from __future__ import annotations

from collections import Counter

from smartnic.model.addressing import (
    RESERVED_ROUTE_RANGES,
    Network,
    family_name,
    network_within,
    parse_cidr,
)
from smartnic.model.check_rules import FAMILIES
from smartnic.model.config import Config, Route, RouteTable, Vpc
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex

ROUTE_TABLES_PER_VPC = 200  # RT-R11
STATIC_ROUTES_PER_FAMILY = 50
PROPAGATED_ROUTES = 100
LOCAL_REPLACEMENT_TARGETS = ("eni-", "vpce-")  # RT-R2
MIDDLEBOX_TARGETS = ("eni-", "nat-", "vpce-")  # RT-R3
GATEWAY_TABLE_TARGETS = ("local", "eni-", "vpce-")  # RT-R7
# RT-R5: local, IGW, egress-only IGW, NAT gateway, ENI, instance, peering, transit gateway,
# VPN gateway, VPC endpoint, carrier gateway, local gateway, core network (an ARN).
TARGET_PREFIXES = (
    "igw-", "eigw-", "nat-", "eni-", "i-", "pcx-", "tgw-", "vgw-", "vpce-", "cagw-", "lgw-",
    "arn:aws:networkmanager:",
)  # fmt: skip


def check_route_tables(config: Config, index: ConfigIndex) -> None:
    edge_owner: dict[str, str] = {}
    per_vpc: Counter[str] = Counter()
    for table in config.route_tables:
        vpc = index.vpcs.get(table.vpc)
        if vpc is None:
            raise ConfigError(table.id, "vpc", f"unknown VPC {table.vpc}")
        per_vpc[table.vpc] += 1
        if per_vpc[table.vpc] > ROUTE_TABLES_PER_VPC:
            raise ConfigError(table.id, "vpc", f"more than 200 route tables in {vpc.id} (RT-R11)")
        _check_edge_associations(table, vpc, index, edge_owner)
        static: set[str] = set()
        weights: Counter[str] = Counter()
        for position, route in enumerate(table.routes):
            field = f"routes[{position}]"
            _check_route(table, vpc, route, field, index)
            if route.propagated:
                weights["propagated"] += 1
                continue
            if route.dst in static:
                raise ConfigError(table.id, f"{field}.dst", f"duplicate route to {route.dst}")
            static.add(route.dst)
            weights.update(_route_weights(route, index))
        _check_route_quota(table, weights)


def _route_weights(route: Route, index: ConfigIndex) -> dict[str, int]:
    if route.dst.startswith("pl-"):
        prefix_list = index.prefix_lists[route.dst]
        families = [prefix_list.address_family] if prefix_list.address_family else FAMILIES
        return {family: prefix_list.max_entries for family in families}
    return {family_name(parse_cidr(route.dst, "", "")): 1}


def _check_route_quota(table: RouteTable, weights: Counter[str]) -> None:
    for family in FAMILIES:
        if weights[family] > STATIC_ROUTES_PER_FAMILY:
            raise ConfigError(table.id, "routes", f"more than 50 static {family} routes (RT-R11)")
    if weights["propagated"] > PROPAGATED_ROUTES:
        raise ConfigError(table.id, "routes", "more than 100 propagated routes (RT-R11)")


def _local_blocks(vpc: Vpc) -> list[Network]:
    return [parse_cidr(text, vpc.id, "cidrs") for text in vpc.cidrs + vpc.ipv6_cidrs]


def _subnet_blocks(config_index: ConfigIndex, vpc_id: str) -> set[str]:
    blocks: set[str] = set()
    for subnet in config_index.subnets.values():
        if subnet.vpc == vpc_id:
            blocks.update(block for block in (subnet.cidr, subnet.ipv6_cidr) if block)
    return blocks


def _check_target(table: RouteTable, route: Route, field: str, index: ConfigIndex) -> None:
    """RT-R5 target kinds; an existing target must belong to the table's VPC (RT-R4 for
    propagated routes: only from a VPN gateway attached to it)."""
    target = route.target
    if route.propagated:
        vgw = index.vgws.get(target)
        if vgw is None or vgw.vpc != table.vpc:
            raise ConfigError(
                table.id,
                f"{field}.target",
                f"propagated routes come only from a VPN gateway (vgw-) attached to "
                f"{table.vpc}, not {target} (RT-R4)",
            )
        return
    if target != "local" and not target.startswith(TARGET_PREFIXES):
        raise ConfigError(table.id, f"{field}.target", f"{target} is not a route target (RT-R5)")
    owner = _target_vpcs(target, index)
    if owner and table.vpc not in owner:
        raise ConfigError(
            table.id,
            f"{field}.target",
            f"{target} belongs to {' and '.join(sorted(owner))}, not to {table.vpc} (RT-R5)",
        )


def _target_vpcs(target: str, index: ConfigIndex) -> set[str]:
    """The VPCs a target is bound to for good: a peering's two, an ENI's (or instance's)
    one. Empty: the target does not exist, or it is a gateway — a gateway detached and
    attached elsewhere leaves a blackhole route behind (RT-R6), a state AWS describes."""
    peering = index.peerings.get(target)
    if peering is not None:
        return {peering.a, peering.b}
    eni = index.enis.get(target) or next(
        (e for e in index.enis.values() if e.instance_id == target), None
    )
    if eni is not None:
        subnet = index.subnets.get(eni.subnet)
        return {subnet.vpc} if subnet else set()
    return set()


def _check_route(table: RouteTable, vpc: Vpc, route: Route, field: str, index: ConfigIndex) -> None:
    _check_target(table, route, field, index)
    if route.dst.startswith("pl-"):
        if route.dst not in index.prefix_lists:
            raise ConfigError(table.id, f"{field}.dst", f"unknown prefix list {route.dst}")
        if route.target == "local":
            raise ConfigError(table.id, f"{field}.target", "target local needs a VPC CIDR")
        return
    dst = parse_cidr(route.dst, table.id, f"{field}.dst")
    if any(network_within(dst, reserved) for reserved in RESERVED_ROUTE_RANGES):
        raise ConfigError(
            table.id, f"{field}.dst", f"{dst} is in a reserved link-local range (ADDR-R5)"
        )
    if route.target.startswith("eigw-") and dst.version != 6:
        raise ConfigError(
            table.id, f"{field}.target", "an egress-only internet gateway routes IPv6 only (RT-R5)"
        )
    _check_against_local(table, vpc, route, dst, field, index)


def _check_against_local(
    table: RouteTable, vpc: Vpc, route: Route, dst: Network, field: str, index: ConfigIndex
) -> None:
    local_blocks = _local_blocks(vpc)
    if dst in local_blocks:
        if route.target != "local" and not route.target.startswith(LOCAL_REPLACEMENT_TARGETS):
            raise ConfigError(
                table.id,
                f"{field}.target",
                f"{dst} is a local route: only its target can be "
                "replaced, by an ENI or GWLB endpoint (RT-R2)",
            )
        return
    if route.target == "local":
        raise ConfigError(table.id, f"{field}.target", "target local needs a VPC CIDR (RT-R2)")
    covering = next((block for block in local_blocks if network_within(dst, block)), None)
    if covering is None:
        return
    whole_subnet = route.dst in _subnet_blocks(index, vpc.id)
    if not (whole_subnet and route.target.startswith(MIDDLEBOX_TARGETS)):
        raise ConfigError(
            table.id,
            f"{field}.dst",
            f"{dst} is more specific than the local route {covering}: "
            "only a whole subnet CIDR to an ENI, NAT gateway or GWLB endpoint (RT-R3)",
        )


def _check_edge_associations(
    table: RouteTable, vpc: Vpc, index: ConfigIndex, edge_owner: dict[str, str]
) -> None:
    for position, gateway_id in enumerate(table.edge_associations):
        field = f"edge_associations[{position}]"
        gateway = index.igws.get(gateway_id) or index.vgws.get(gateway_id)
        if gateway is None:
            raise ConfigError(table.id, field, f"unknown internet or VPN gateway {gateway_id}")
        if gateway.vpc != table.vpc:
            raise ConfigError(table.id, field, f"{gateway_id} is attached to {gateway.vpc}")
        if gateway_id in edge_owner:
            raise ConfigError(
                table.id, field, f"{gateway_id} already uses {edge_owner[gateway_id]}"
            )
        edge_owner[gateway_id] = table.id
    if table.edge_associations:
        _check_gateway_table(table, vpc, index)


def _check_gateway_table(table: RouteTable, vpc: Vpc, index: ConfigIndex) -> None:
    """RT-R7: gateway route tables route only into the VPC, through a middlebox."""
    if table.main or vpc.main_route_table == table.id:
        raise ConfigError(table.id, "main", "a gateway route table cannot be main (RT-R1)")
    allowed_dsts = {str(block) for block in _local_blocks(vpc)} | _subnet_blocks(index, vpc.id)
    for position, route in enumerate(table.routes):
        field = f"routes[{position}]"
        if route.propagated or route.dst not in allowed_dsts:
            raise ConfigError(
                table.id,
                f"{field}.dst",
                "a gateway route table routes only a VPC CIDR or a "
                "whole subnet CIDR, without propagation (RT-R7)",
            )
        vgw_edge = any(gateway.startswith("vgw-") for gateway in table.edge_associations)
        targets = ("local", "eni-") if vgw_edge else GATEWAY_TABLE_TARGETS
        if not route.target.startswith(targets):
            raise ConfigError(
                table.id,
                f"{field}.target",
                f"target {route.target} not allowed in a gateway route table (RT-R7)",
            )
