"""Canonical forms of the text fields of a Config (first normalization pass).

Input: a parsed Config (ids unique). Output: the same Config with every CIDR canonicalised
(host bits cleared where AWS clears them: NACL entries NACL-R12, SG peers SG-R7, route
destinations, prefix-list entries and mirror filter CIDRs; VPC and subnet blocks keep
theirs, for `check_network` to refuse as AWS does — docs/validation.md), every address in its
compressed form, SG/NACL rule protocols, ports and ICMP fields in canonical form
(`model.protocols`), MACs lower-case, peering states lower-case. Rule order is kept, so
error fields like `ingress[3]` point at the rule as written (`load_config` sorts NACL rules
last). Malformed values raise ConfigError naming object and field.
"""

from __future__ import annotations

import re

from smartnic.model.addressing import (
    canonical_address,
    canonical_block,
    canonical_cidr,
    parse_cidr,
)
from smartnic.model.config import (
    Config,
    Eni,
    Nacl,
    NaclRule,
    Peering,
    PrefixList,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from smartnic.model.errors import ConfigError
from smartnic.model.mirror import Mirror, MirrorRule
from smartnic.model.protocols import canonical_traffic

SG_REFERENCE = re.compile(r"(\d+/)?sg-\S+")
MAC_ADDRESS = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")


def is_sg_reference(peer: str) -> bool:
    return SG_REFERENCE.fullmatch(peer) is not None


def canonicalize(config: Config) -> Config:
    return config.model_copy(
        update={
            "vpcs": [_vpc(vpc) for vpc in config.vpcs],
            "subnets": [_subnet(subnet) for subnet in config.subnets],
            "security_groups": [_security_group(sg) for sg in config.security_groups],
            "nacls": [_nacl(nacl) for nacl in config.nacls],
            "route_tables": [_route_table(table) for table in config.route_tables],
            "prefix_lists": [_prefix_list(pl) for pl in config.prefix_lists],
            "peerings": [_peering(peering) for peering in config.peerings],
            "enis": [_eni(eni) for eni in config.enis],
            "mirror": _mirror(config.mirror) if config.mirror else None,
        }
    )


def _vpc(vpc: Vpc) -> Vpc:
    cidrs = [canonical_block(c, vpc.id, f"cidrs[{i}]") for i, c in enumerate(vpc.cidrs)]
    ipv6 = [canonical_block(c, vpc.id, f"ipv6_cidrs[{i}]") for i, c in enumerate(vpc.ipv6_cidrs)]
    return vpc.model_copy(update={"cidrs": cidrs, "ipv6_cidrs": ipv6})


def _subnet(subnet: Subnet) -> Subnet:
    update = {"cidr": canonical_block(subnet.cidr, subnet.id, "cidr")}
    if subnet.ipv6_cidr is not None:
        update["ipv6_cidr"] = canonical_block(subnet.ipv6_cidr, subnet.id, "ipv6_cidr")
    return subnet.model_copy(update=update)


def canonical_sg_rule(rule: SgRule, sg_id: str, field: str) -> SgRule:
    """An SG rule with canonical peer (CIDR host bits cleared) and traffic fields."""
    peer = rule.peer.strip()
    if not (is_sg_reference(peer) or peer.startswith("pl-")):
        peer = canonical_cidr(peer, sg_id, f"{field}.peer")
    traffic = canonical_traffic(rule, sg_id, field, icmpv6_required=False)
    return rule.model_copy(update={**traffic, "peer": peer})


def _security_group(sg: SecurityGroup) -> SecurityGroup:
    update = {}
    for direction in ("ingress", "egress"):
        rules: list[SgRule] | None = getattr(sg, direction)
        if rules is not None:
            update[direction] = [
                canonical_sg_rule(rule, sg.id, f"{direction}[{i}]") for i, rule in enumerate(rules)
            ]
    return sg.model_copy(update=update)


def _nacl_rule(rule: NaclRule, nacl_id: str, field: str) -> NaclRule:
    cidr = parse_cidr(rule.cidr, nacl_id, f"{field}.cidr")
    traffic = canonical_traffic(rule, nacl_id, field, icmpv6_required=cidr.version == 6)
    return rule.model_copy(update={**traffic, "cidr": str(cidr)})


def _nacl(nacl: Nacl) -> Nacl:
    update = {
        direction: [
            _nacl_rule(rule, nacl.id, f"{direction}[{i}]")
            for i, rule in enumerate(getattr(nacl, direction))
        ]
        for direction in ("ingress", "egress")
    }
    return nacl.model_copy(update=update)


def _route_table(table: RouteTable) -> RouteTable:
    routes = []
    for i, route in enumerate(table.routes):
        dst = route.dst.strip()
        if not dst.startswith("pl-"):
            dst = canonical_cidr(dst, table.id, f"routes[{i}].dst")
        routes.append(route.model_copy(update={"dst": dst, "target": route.target.strip()}))
    return table.model_copy(update={"routes": routes})


def _prefix_list(prefix_list: PrefixList) -> PrefixList:
    entries = [
        canonical_cidr(entry, prefix_list.id, f"entries[{i}]")
        for i, entry in enumerate(prefix_list.entries)
    ]
    return prefix_list.model_copy(update={"entries": entries})


def _peering(peering: Peering) -> Peering:
    return peering.model_copy(update={"state": peering.state.strip().lower()})


def _eni(eni: Eni) -> Eni:
    update: dict[str, object] = {
        "ips": [canonical_address(ip, eni.id, f"ips[{i}]") for i, ip in enumerate(eni.ips)],
        "ipv6": [canonical_address(ip, eni.id, f"ipv6[{i}]") for i, ip in enumerate(eni.ipv6)],
    }
    if eni.public_ip is not None:
        update["public_ip"] = canonical_address(eni.public_ip, eni.id, "public_ip")
    if eni.mac is not None:
        mac = eni.mac.strip().lower().replace("-", ":")
        if not MAC_ADDRESS.fullmatch(mac):
            raise ConfigError(
                eni.id, "mac", f"{eni.mac!r} is not a MAC address (xx:xx:xx:xx:xx:xx)"
            )
        update["mac"] = mac
    return eni.model_copy(update=update)


def _mirror_rule(rule: MirrorRule, filter_id: str, field: str) -> MirrorRule:
    src = canonical_cidr(rule.src, filter_id, f"{field}.src")
    dst = canonical_cidr(rule.dst, filter_id, f"{field}.dst")
    return rule.model_copy(update={"src": src, "dst": dst})


def _mirror(mirror: Mirror) -> Mirror:
    filters = [
        mirror_filter.model_copy(
            update={
                direction: [
                    _mirror_rule(rule, mirror_filter.id, f"{direction}[{i}]")
                    for i, rule in enumerate(getattr(mirror_filter, direction))
                ]
                for direction in ("ingress", "egress")
            }
        )
        for mirror_filter in mirror.filters
    ]
    return mirror.model_copy(update={"filters": filters})
