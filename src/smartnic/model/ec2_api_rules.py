"""EC2 API actions on security-group rules and network-ACL entries.

AuthorizeSecurityGroupIngress/Egress and RevokeSecurityGroupIngress/Egress take the EC2
`IpPermissions` structure (or the flat IpProtocol/FromPort/ToPort/CidrIp form; revoke also
`SecurityGroupRuleIds`); a duplicate authorize or a revoke of an absent rule is refused as
EC2 does. Create/Replace/DeleteNetworkAclEntry take RuleNumber, Protocol, RuleAction,
Egress, CidrBlock/Ipv6CidrBlock, PortRange, IcmpTypeCode (NACL-R2, NACL-R12).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from smartnic.model.aws_rules import nacl_rule_from_entry, sg_rules_from_permission
from smartnic.model.aws_shapes import integer, items, texts
from smartnic.model.canonical import canonical_sg_rule
from smartnic.model.config import SgRule
from smartnic.model.ec2_api_context import ApiContext, as_bool, required
from smartnic.model.errors import ConfigError

RuleKey = tuple[Any, ...]


def _permissions(params: dict[str, Any], op: str) -> list[dict[str, Any]]:
    if params.get("IpPermissions"):
        return items(params["IpPermissions"], op, "IpPermissions")
    flat_keys = ("IpProtocol", "FromPort", "ToPort")
    flat: dict[str, Any] = {key: params[key] for key in flat_keys if key in params}
    if params.get("CidrIp"):
        flat["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
    return [flat] if flat else []


def _rule_key(rule: dict[str, Any], sg_id: str, op: str) -> RuleKey:
    try:
        parsed = SgRule.model_validate(rule)
    except ValidationError as error:
        raise ConfigError(sg_id, "IpPermissions", f"{op}: {error.errors()[0]['msg']}") from None
    canonical = canonical_sg_rule(parsed, sg_id, "IpPermissions")
    return (
        canonical.proto,
        canonical.ports,
        canonical.icmp_type,
        canonical.icmp_code,
        canonical.peer,
    )


def _requested_rules(ctx: ApiContext, params: dict[str, Any], sg_id: str) -> list[dict[str, Any]]:
    vpc_id = ctx.vpc_of("security_groups", sg_id).id
    group_vpcs = {sg.id: sg.vpc for sg in ctx.current.security_groups}
    rules = []
    for permission in _permissions(params, ctx.op):
        rules += sg_rules_from_permission(
            permission, sg_id, ctx.current.account_id, vpc_id, group_vpcs
        )
    if not rules:
        raise ConfigError(sg_id, "IpPermissions", f"{ctx.op} needs at least one permission")
    return rules


def authorize(ctx: ApiContext, params: dict[str, Any], direction: str) -> None:
    sg_id = required(params, "GroupId", ctx.op)
    sg = ctx.editable("security_groups", sg_id, "GroupId")
    present = {_rule_key(rule, sg_id, ctx.op) for rule in sg[direction]}
    for rule in _requested_rules(ctx, params, sg_id):
        key = _rule_key(rule, sg_id, ctx.op)
        if key in present:
            raise ConfigError(
                sg_id, direction, f"the rule {rule} already exists (InvalidPermission.Duplicate)"
            )
        present.add(key)
        sg[direction].append(rule)


def revoke(ctx: ApiContext, params: dict[str, Any], direction: str) -> None:
    sg_id = required(params, "GroupId", ctx.op)
    sg = ctx.editable("security_groups", sg_id, "GroupId")
    if params.get("SecurityGroupRuleIds"):
        for rule_id in texts(params["SecurityGroupRuleIds"], ctx.op, "SecurityGroupRuleIds"):
            kept = [rule for rule in sg[direction] if rule.get("rule_id") != rule_id]
            if len(kept) == len(sg[direction]):
                raise ConfigError(sg_id, "SecurityGroupRuleIds", f"no {direction} rule {rule_id}")
            sg[direction] = kept
        return
    for rule in _requested_rules(ctx, params, sg_id):
        key = _rule_key(rule, sg_id, ctx.op)
        keys = [_rule_key(old, sg_id, ctx.op) for old in sg[direction]]
        if key not in keys:
            raise ConfigError(sg_id, direction, f"no such rule {rule} (InvalidPermission.NotFound)")
        del sg[direction][keys.index(key)]


def _requested_entry(
    ctx: ApiContext, params: dict[str, Any], acl_id: str
) -> tuple[str, dict[str, Any]]:
    entry = {
        key: params.get(key) for key in ("CidrBlock", "Ipv6CidrBlock", "PortRange", "IcmpTypeCode")
    }
    for key in ("RuleNumber", "Protocol", "RuleAction"):
        entry[key] = required(params, key, ctx.op)
    entry["Egress"] = as_bool(params.get("Egress", False), ctx.op, "Egress")
    if not (entry["CidrBlock"] or entry["Ipv6CidrBlock"]):
        raise ConfigError(acl_id, "CidrBlock", f"{ctx.op} needs CidrBlock or Ipv6CidrBlock")
    converted = nacl_rule_from_entry(entry, acl_id)
    if converted is None:  # 32767/32768 are the implicit '*' rules (NACL-R4)
        raise ConfigError(acl_id, "RuleNumber", "rule number out of range 1..32766")
    return converted


def _entry_position(rules: list[dict[str, Any]], number: Any) -> int:
    return next((i for i, rule in enumerate(rules) if rule.get("n") == number), -1)


def nacl_entry(ctx: ApiContext, params: dict[str, Any], action: str) -> None:
    """Create, Replace or Delete one NACL entry (`action`)."""
    acl_id = required(params, "NetworkAclId", ctx.op)
    acl = ctx.editable("nacls", acl_id, "NetworkAclId")
    number = integer(required(params, "RuleNumber", ctx.op), ctx.op, "RuleNumber")
    if action == "delete":
        direction = (
            "egress" if as_bool(params.get("Egress", False), ctx.op, "Egress") else "ingress"
        )
        rule = None
    else:
        direction, rule = _requested_entry(ctx, params, acl_id)
    rules: list[dict[str, Any]] = acl.setdefault(direction, [])
    position = _entry_position(rules, number)
    if action == "create":
        if position >= 0:
            raise ConfigError(
                acl_id,
                direction,
                f"rule number {number} already exists (NetworkAclEntryAlreadyExists)",
            )
        rules.append(rule or {})
        return
    if position < 0:
        raise ConfigError(acl_id, direction, f"no {direction} entry number {number}")
    if rule is None:
        del rules[position]
    else:
        rules[position] = rule
