"""Normalization: turn a parsed Config into a complete one the compiler can use as is.

Input: a Config parsed from the native schema (ids unique). Output: a Config where

* CIDRs, addresses and rule fields are canonical (`model.canonical`);
* every VPC names an existing default SG, default NACL and main route table
  (`model.defaults`);
* every subnet has `nacl` (VPC default NACL, NACL-R1) and `route_table` (VPC main, RT-R1);
* every SG has `ingress` and `egress`: omitted ingress → [] (a default SG: all from itself,
  SG-R14); omitted egress → all to 0.0.0.0/0 (SG-R13), plus ::/0 for a default SG of an
  IPv6 VPC (SG-R14); rules without `rule_id` get `sgr-<sg>-<in|out>-<n>`;
* every ENI has `sgs` (the VPC default SG, SG-R14) and a `mac` (`model.placement`);
* every prefix list with entries has its `address_family`;
* every flow log has an explicit field list (`default` → the v2 fields, FL-R4);
* `hosts` lists every ENI exactly once (`model.placement`).

Objects whose references are broken are left for `model.validate` to refuse.
"""

from __future__ import annotations

from smartnic.model.addressing import family_name, parse_cidr
from smartnic.model.canonical import canonicalize
from smartnic.model.config import Config, Eni, FlowLog, PrefixList, SecurityGroup, SgRule, Subnet
from smartnic.model.defaults import add_vpc_defaults
from smartnic.model.index import ConfigIndex
from smartnic.model.placement import assign_macs, place_enis
from smartnic.telemetry.flowlogs.fields import DEFAULT_FIELDS


def normalize(config: Config) -> Config:
    config = add_vpc_defaults(canonicalize(config))
    index = ConfigIndex.of(config)
    enis = assign_macs([_eni(eni, index) for eni in config.enis])
    config = config.model_copy(
        update={
            "subnets": [_subnet(subnet, index) for subnet in config.subnets],
            "security_groups": [_security_group(sg, index) for sg in config.security_groups],
            "prefix_lists": [_prefix_list(pl) for pl in config.prefix_lists],
            "enis": enis,
            "flow_logs": [_flow_log(flow_log) for flow_log in config.flow_logs],
            "hosts": place_enis(config.hosts, enis),
        }
    )
    return config


def _subnet(subnet: Subnet, index: ConfigIndex) -> Subnet:
    vpc = index.vpcs.get(subnet.vpc)
    if vpc is None:
        return subnet
    return subnet.model_copy(
        update={
            "nacl": subnet.nacl or vpc.default_nacl,
            "route_table": subnet.route_table or vpc.main_route_table,
        }
    )


def _allow_all(peer: str) -> SgRule:
    return SgRule(proto="all", peer=peer)


def _security_group(sg: SecurityGroup, index: ConfigIndex) -> SecurityGroup:
    ingress = sg.ingress
    if ingress is None:
        ingress = [_allow_all(sg.id)] if sg.default else []
    egress = sg.egress
    if egress is None:
        egress = [_allow_all("0.0.0.0/0")]
        if sg.default and index.vpc_has_ipv6(sg.vpc):
            egress.append(_allow_all("::/0"))
    return sg.model_copy(
        update={
            "ingress": with_rule_ids(sg.id, "in", ingress),
            "egress": with_rule_ids(sg.id, "out", egress),
        }
    )


def with_rule_ids(sg_id: str, direction_tag: str, rules: list[SgRule]) -> list[SgRule]:
    """Give rules without an id a stable one, skipping ids already taken in the list."""
    stem = sg_id.removeprefix("sg-")
    used = {rule.rule_id for rule in rules if rule.rule_id}
    identified = []
    for position, rule in enumerate(rules):
        if rule.rule_id is None:
            number = position
            while (rule_id := f"sgr-{stem}-{direction_tag}-{number}") in used:
                number += 1
            used.add(rule_id)
            rule = rule.model_copy(update={"rule_id": rule_id})
        identified.append(rule)
    return identified


def _eni(eni: Eni, index: ConfigIndex) -> Eni:
    if eni.sgs is not None:
        return eni
    vpc = index.eni_vpc(eni)
    return eni.model_copy(update={"sgs": [vpc.default_sg] if vpc and vpc.default_sg else []})


def _prefix_list(prefix_list: PrefixList) -> PrefixList:
    if prefix_list.address_family is not None or not prefix_list.entries:
        return prefix_list
    family = family_name(parse_cidr(prefix_list.entries[0], prefix_list.id, "entries[0]"))
    return prefix_list.model_copy(update={"address_family": family})


def _flow_log(flow_log: FlowLog) -> FlowLog:
    if flow_log.format != "default":
        return flow_log
    return flow_log.model_copy(update={"format": list(DEFAULT_FIELDS)})
