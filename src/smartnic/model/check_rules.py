"""Validation of security groups and network ACLs (rules already canonical).

Input: a normalized Config and its ConfigIndex. Output: nothing, or the first ConfigError.
Rules: SG-R7/R9 (peers: CIDR, same-VPC `sg-…`, `<account>/sg-…` across an active peering,
existing `pl-…`), SG-R10 and §1.5 (60 rules per direction per IP family; an SG reference
counts for both families, a prefix list as its max_entries), SG-R11 (names), NACL-R2 (rule
numbers 1..32766, unique per direction) and the NACL quotas (20 rules per direction per IP
family including the implicit `*` rule, so 19 explicit ones; 200 NACLs per VPC).
"""

from __future__ import annotations

from collections import Counter

from smartnic.model.addressing import family_name, parse_cidr
from smartnic.model.canonical import is_sg_reference
from smartnic.model.config import Config, Nacl, NaclRule, SecurityGroup, SgRule
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex

SG_RULES_PER_DIRECTION_PER_FAMILY = 60
NACL_RULES_PER_DIRECTION_PER_FAMILY = 20  # includes the implicit '*' deny rule
NACL_RULE_NUMBERS = range(1, 32767)
NACLS_PER_VPC = 200
FAMILIES = ("IPv4", "IPv6")
DIRECTION_WORDS = {"ingress": "inbound", "egress": "outbound"}


def check_security_groups(config: Config, index: ConfigIndex) -> None:
    names: dict[tuple[str, str], str] = {}
    for sg in config.security_groups:
        if sg.vpc not in index.vpcs:
            raise ConfigError(sg.id, "vpc", f"unknown VPC {sg.vpc}")
        if sg.name is not None:
            _check_sg_name(sg, names)
        rule_ids: set[str] = set()
        for direction in ("ingress", "egress"):
            rules: list[SgRule] = getattr(sg, direction) or []
            for position, rule in enumerate(rules):
                field = f"{direction}[{position}]"
                _check_peer(sg, rule, f"{field}.peer", index, config.account_id)
                if rule.rule_id in rule_ids:
                    raise ConfigError(
                        sg.id, f"{field}.rule_id", f"duplicate rule_id {rule.rule_id}"
                    )
                rule_ids.add(rule.rule_id or "")
            _check_sg_quota(sg, direction, rules, index)


def _check_sg_name(sg: SecurityGroup, names: dict[tuple[str, str], str]) -> None:
    """SG-R11: names unique per VPC, at most 255 characters, not starting with `sg-`."""
    name = sg.name or ""
    if name.startswith("sg-") or len(name) > 255:
        raise ConfigError(sg.id, "name", "an SG name has at most 255 chars and cannot start 'sg-'")
    if (sg.vpc, name) in names:
        raise ConfigError(sg.id, "name", f"name {name!r} already used by {names[sg.vpc, name]}")
    names[sg.vpc, name] = sg.id


def _check_peer(
    sg: SecurityGroup, rule: SgRule, field: str, index: ConfigIndex, account_id: str
) -> None:
    peer = rule.peer
    if peer.startswith("pl-"):
        if peer not in index.prefix_lists:
            raise ConfigError(sg.id, field, f"unknown prefix list {peer}")
        return
    if not is_sg_reference(peer):
        return  # a CIDR, already parsed and canonicalised
    account, _, group_id = peer.rpartition("/")
    group = index.security_groups.get(group_id)
    if group is None:
        raise ConfigError(sg.id, field, f"unknown security group {group_id}")
    if account and account != account_id:
        raise ConfigError(sg.id, field, f"{peer} is in another account than {account_id}")
    if group.vpc == sg.vpc:
        return
    if not account:
        raise ConfigError(
            sg.id,
            field,
            f"{group_id} belongs to {group.vpc}; a peered VPC's group is "
            f"written {account_id}/{group_id} (SG-R7)",
        )
    if index.active_peering(sg.vpc, group.vpc) is None:
        raise ConfigError(
            sg.id,
            field,
            f"{group.vpc} of {group_id} is not peered with {sg.vpc} by an active peering (SG-R9)",
        )


def _sg_rule_weights(rule: SgRule, index: ConfigIndex) -> dict[str, int]:
    """§1.5 rule weights per IP family (SG-R10)."""
    if rule.peer.startswith("pl-"):
        prefix_list = index.prefix_lists[rule.peer]
        families = [prefix_list.address_family] if prefix_list.address_family else FAMILIES
        return {family: prefix_list.max_entries for family in families}
    if is_sg_reference(rule.peer):
        return {family: 1 for family in FAMILIES}
    return {family_name(parse_cidr(rule.peer, "", "")): 1}


def _check_sg_quota(
    sg: SecurityGroup, direction: str, rules: list[SgRule], index: ConfigIndex
) -> None:
    totals: Counter[str] = Counter()
    for rule in rules:
        totals.update(_sg_rule_weights(rule, index))
    for family in FAMILIES:
        if totals[family] > SG_RULES_PER_DIRECTION_PER_FAMILY:
            raise ConfigError(
                sg.id,
                direction,
                f"more than 60 {DIRECTION_WORDS[direction]} {family} rules "
                f"({totals[family]} counting prefix-list weights; quota, SG-R10)",
            )


def check_nacls(config: Config, index: ConfigIndex) -> None:
    per_vpc: Counter[str] = Counter()
    for nacl in config.nacls:
        if nacl.vpc not in index.vpcs:
            raise ConfigError(nacl.id, "vpc", f"unknown VPC {nacl.vpc}")
        per_vpc[nacl.vpc] += 1
        if per_vpc[nacl.vpc] > NACLS_PER_VPC:
            raise ConfigError(nacl.id, "vpc", f"more than 200 network ACLs in {nacl.vpc} (quota)")
        for direction in ("ingress", "egress"):
            _check_nacl_direction(nacl, direction, getattr(nacl, direction))


def _check_nacl_direction(nacl: Nacl, direction: str, rules: list[NaclRule]) -> None:
    numbers: set[int] = set()
    totals: Counter[str] = Counter()
    for position, rule in enumerate(rules):
        field = f"{direction}[{position}].n"
        if rule.n not in NACL_RULE_NUMBERS:
            raise ConfigError(nacl.id, field, f"rule number out of range 1..32766: {rule.n}")
        if rule.n in numbers:
            raise ConfigError(nacl.id, field, f"duplicate rule number {rule.n} (NACL-R2)")
        numbers.add(rule.n)
        totals[family_name(parse_cidr(rule.cidr, nacl.id, field))] += 1
    for family in FAMILIES:
        # The quota counts the implicit '*' rule of each family (NACL-R4, §2 quotas).
        if totals[family] + 1 > NACL_RULES_PER_DIRECTION_PER_FAMILY:
            raise ConfigError(
                nacl.id,
                direction,
                f"more than 20 {DIRECTION_WORDS[direction]} {family} rules "
                "(the quota counts the implicit * rule)",
            )
