"""EC2 API actions applied to a plain config dict: `apply_api(config_dict, op, params)`.

Input: a native config dict (valid: it is loaded first to learn its implied objects), an
EC2 action name and its parameters in EC2's own structure. Output: a new dict with the
change; the caller runs `load_config` on it, which refuses invalid results. The input dict
is never mutated. Refusals the action itself makes (EC2 would answer an error code) raise
ConfigError; an unknown action raises ConfigError naming it.

Actions: CreateRoute, ReplaceRoute, DeleteRoute (the local route cannot be deleted, RT-R2;
its target can be replaced by an ENI or GWLB endpoint and restored with LocalTarget),
ReplaceRouteTableAssociation, ReplaceNetworkAclAssociation, Authorize/RevokeSecurityGroup
Ingress/Egress, Create/Replace/DeleteNetworkAclEntry, ModifyNetworkInterfaceAttribute,
Assign/UnassignPrivateIpAddresses, Assign/UnassignIpv6Addresses.

Association ids are not part of the model: an AssociationId is `rtbassoc-<subnet id>`,
`aclassoc-<subnet id>` or the subnet id itself; `rtbassoc-main-<vpc id>` names a VPC's
main route table association.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from smartnic.model import ec2_api_enis as enis
from smartnic.model import ec2_api_rules as rules
from smartnic.model.addressing import canonical_cidr
from smartnic.model.aws_rules import ROUTE_TARGET_KEYS
from smartnic.model.aws_shapes import text
from smartnic.model.ec2_api_context import ApiContext, as_bool, required
from smartnic.model.errors import ConfigError
from smartnic.model.load import load_config

Handler = Callable[[ApiContext, dict[str, Any]], None]
DESTINATION_KEYS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
TARGET_KEYS = (*ROUTE_TARGET_KEYS, "VpcEndpointId")


def apply_api(config_dict: dict[str, Any], op: str, params: dict[str, Any]) -> dict[str, Any]:
    handler = HANDLERS.get(op)
    if handler is None:
        raise ConfigError(str(op), "op", f"unknown or unsupported EC2 API action {op!r}")
    raw = copy.deepcopy(config_dict)
    handler(ApiContext(op=op, raw=raw, current=load_config(config_dict)), dict(params))
    return raw


def _destination(params: dict[str, Any], table_id: str) -> tuple[str, str]:
    for key in DESTINATION_KEYS:
        if params.get(key):
            value = str(params[key])
            return key, value if key == "DestinationPrefixListId" else canonical_cidr(
                value, table_id, key
            )
    raise ConfigError(table_id, "DestinationCidrBlock", "the route needs a destination")


def _target(ctx: ApiContext, params: dict[str, Any], table_id: str) -> str:
    key = next((key for key in TARGET_KEYS if params.get(key)), None)
    if key is None:
        raise ConfigError(table_id, "GatewayId", f"{ctx.op} needs a target (GatewayId, ...)")
    target = text(params[key], table_id, key)
    if key == "InstanceId":  # an instance route goes to the instance's primary ENI
        target = next((e.id for e in ctx.current.enis if e.instance_id == target), target)
    return target


def _static_routes(table: dict[str, Any], dst: str) -> list[int]:
    def same(route: dict[str, Any]) -> bool:
        route_dst = str(route.get("dst"))
        canonical = route_dst if route_dst.startswith("pl-") else canonical_cidr(route_dst, "", "")
        return canonical == dst and not route.get("propagated")

    return [i for i, route in enumerate(table.setdefault("routes", [])) if same(route)]


def _route_context(
    ctx: ApiContext, params: dict[str, Any]
) -> tuple[dict[str, Any], str, str, bool]:
    table_id = required(params, "RouteTableId", ctx.op)
    table = ctx.editable("route_tables", table_id, "RouteTableId")
    key, dst = _destination(params, table_id)
    vpc = ctx.vpc_of("route_tables", table_id)
    return table, key, dst, dst in vpc.cidrs + vpc.ipv6_cidrs


def create_route(ctx: ApiContext, params: dict[str, Any]) -> None:
    table, key, dst, is_local = _route_context(ctx, params)
    if is_local or _static_routes(table, dst):
        raise ConfigError(table["id"], key, f"a route to {dst} already exists (RouteAlreadyExists)")
    table["routes"].append({"dst": dst, "target": _target(ctx, params, table["id"])})


def replace_route(ctx: ApiContext, params: dict[str, Any]) -> None:
    table, key, dst, is_local = _route_context(ctx, params)
    existing = _static_routes(table, dst)
    if as_bool(params.get("LocalTarget", False), ctx.op, "LocalTarget"):
        if not is_local:
            raise ConfigError(table["id"], key, f"{dst} is not a local route (RT-R2)")
        table["routes"] = [r for i, r in enumerate(table["routes"]) if i not in existing]
        return
    target = _target(ctx, params, table["id"])
    if existing:
        table["routes"][existing[0]]["target"] = target
    elif is_local:  # RT-R2: the local route keeps its destination, takes a new target
        table["routes"].append({"dst": dst, "target": target})
    else:
        raise ConfigError(table["id"], key, f"no route to {dst} (InvalidRoute.NotFound)")


def delete_route(ctx: ApiContext, params: dict[str, Any]) -> None:
    table, key, dst, is_local = _route_context(ctx, params)
    if is_local:
        raise ConfigError(table["id"], key, f"local route cannot be deleted: {dst} (RT-R2)")
    existing = _static_routes(table, dst)
    if not existing:
        raise ConfigError(table["id"], key, f"no route to {dst} (InvalidRoute.NotFound)")
    del table["routes"][existing[0]]


def _association_subnet(ctx: ApiContext, association_id: str, prefix: str) -> str:
    subnet_id = association_id.removeprefix(prefix)
    if not any(subnet.id == subnet_id for subnet in ctx.current.subnets):
        raise ConfigError(association_id, "AssociationId", f"{ctx.op}: unknown association")
    return subnet_id


def replace_nacl_association(ctx: ApiContext, params: dict[str, Any]) -> None:
    association = text(required(params, "AssociationId", ctx.op), ctx.op, "AssociationId")
    subnet = ctx.editable(
        "subnets", _association_subnet(ctx, association, "aclassoc-"), "AssociationId"
    )
    subnet["nacl"] = text(required(params, "NetworkAclId", ctx.op), ctx.op, "NetworkAclId")


def replace_route_table_association(ctx: ApiContext, params: dict[str, Any]) -> None:
    association = text(required(params, "AssociationId", ctx.op), ctx.op, "AssociationId")
    table_id = text(required(params, "RouteTableId", ctx.op), ctx.op, "RouteTableId")
    vpc_id = association.removeprefix("rtbassoc-main-")
    if vpc_id != association and any(vpc.id == vpc_id for vpc in ctx.current.vpcs):
        _replace_main_table(ctx, vpc_id, table_id)
        return
    subnet = ctx.editable(
        "subnets", _association_subnet(ctx, association, "rtbassoc-"), "AssociationId"
    )
    subnet["route_table"] = table_id


def _replace_main_table(ctx: ApiContext, vpc_id: str, table_id: str) -> None:
    """RT-R1: another table becomes main; subnets without an explicit table follow it."""
    vpc = ctx.editable("vpcs", vpc_id, "AssociationId")
    old_main = next(v.main_route_table for v in ctx.current.vpcs if v.id == vpc_id)
    ctx.editable("route_tables", old_main, "AssociationId")  # an implied table stays defined
    ctx.editable("route_tables", table_id, "RouteTableId")
    for table in ctx.raw["route_tables"]:
        if table.get("vpc") == vpc_id:
            table["main"] = table.get("id") == table_id
    vpc["main_route_table"] = table_id


HANDLERS: dict[str, Handler] = {
    "CreateRoute": create_route,
    "ReplaceRoute": replace_route,
    "DeleteRoute": delete_route,
    "ReplaceNetworkAclAssociation": replace_nacl_association,
    "ReplaceRouteTableAssociation": replace_route_table_association,
    "AuthorizeSecurityGroupIngress": lambda ctx, p: rules.authorize(ctx, p, "ingress"),
    "AuthorizeSecurityGroupEgress": lambda ctx, p: rules.authorize(ctx, p, "egress"),
    "RevokeSecurityGroupIngress": lambda ctx, p: rules.revoke(ctx, p, "ingress"),
    "RevokeSecurityGroupEgress": lambda ctx, p: rules.revoke(ctx, p, "egress"),
    "CreateNetworkAclEntry": lambda ctx, p: rules.nacl_entry(ctx, p, "create"),
    "ReplaceNetworkAclEntry": lambda ctx, p: rules.nacl_entry(ctx, p, "replace"),
    "DeleteNetworkAclEntry": lambda ctx, p: rules.nacl_entry(ctx, p, "delete"),
    "ModifyNetworkInterfaceAttribute": enis.modify_attribute,
    "AssignPrivateIpAddresses": lambda ctx, p: enis.assign(ctx, p, 4),
    "UnassignPrivateIpAddresses": lambda ctx, p: enis.unassign(ctx, p, 4),
    "AssignIpv6Addresses": lambda ctx, p: enis.assign(ctx, p, 6),
    "UnassignIpv6Addresses": lambda ctx, p: enis.unassign(ctx, p, 6),
}
