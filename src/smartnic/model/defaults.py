"""Per-VPC default objects: default security group, default NACL, main route table.

Input: a canonical Config. Output: the Config where every VPC names its `default_sg`,
`default_nacl` and `main_route_table`, and those objects exist:

* the ids come from the VPC, else from an object of the VPC flagged `default: true` (SG) or
  `main: true` (route table), else `sg-default-<vpc>`, `acl-default-<vpc>`, `rtb-main-<vpc>`;
* a named object that is not defined is created with that id: the default SG per SG-R14
  (its rules are filled in by `normalize`), the default NACL per NACL-R10, the main route
  table with no static routes (local routes are implicit, RT-R2);
* the chosen SG gets `default: true` and name `default`; the chosen table gets `main: true`.
  A second SG flagged default or a second main table in one VPC is refused (RT-R1, SG-R14).

An id that names an object of another VPC is left alone for `validate` to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartnic.model.config import Config, Nacl, NaclRule, RouteTable, SecurityGroup, Vpc
from smartnic.model.errors import ConfigError


def add_vpc_defaults(config: Config) -> Config:
    sgs = list(config.security_groups)
    nacls = list(config.nacls)
    tables = list(config.route_tables)
    vpcs = [
        vpc.model_copy(
            update={
                "default_sg": _default_sg(vpc, sgs),
                "default_nacl": _default_nacl(vpc, nacls),
                "main_route_table": _main_table(vpc, tables),
            }
        )
        for vpc in config.vpcs
    ]
    return config.model_copy(
        update={"vpcs": vpcs, "security_groups": sgs, "nacls": nacls, "route_tables": tables}
    )


def _position(items: Sequence[SecurityGroup | Nacl | RouteTable], item_id: str) -> int:
    return next((i for i, item in enumerate(items) if item.id == item_id), -1)


def _default_sg(vpc: Vpc, sgs: list[SecurityGroup]) -> str:
    flagged = [sg.id for sg in sgs if sg.vpc == vpc.id and sg.default]
    chosen = vpc.default_sg or (flagged[0] if flagged else f"sg-default-{vpc.id}")
    for other in flagged:
        if other != chosen:
            raise ConfigError(other, "default", f"{vpc.id} already has default SG {chosen}")
    position = _position(sgs, chosen)
    if position < 0:
        sgs.append(SecurityGroup(id=chosen, vpc=vpc.id, default=True, name="default"))
    elif sgs[position].vpc == vpc.id:
        sg = sgs[position]
        sgs[position] = sg.model_copy(update={"default": True, "name": sg.name or "default"})
    return chosen


def default_nacl_rules(has_ipv6: bool) -> list[NaclRule]:
    """NACL-R10: rule 100 allows all IPv4; rule 101 all IPv6 when the VPC has IPv6."""
    rules = [NaclRule(n=100, action="allow", proto="all", cidr="0.0.0.0/0")]
    if has_ipv6:
        rules.append(NaclRule(n=101, action="allow", proto="all", cidr="::/0"))
    return rules


def _default_nacl(vpc: Vpc, nacls: list[Nacl]) -> str:
    chosen = vpc.default_nacl or f"acl-default-{vpc.id}"
    if _position(nacls, chosen) < 0:
        rules = default_nacl_rules(bool(vpc.ipv6_cidrs))
        nacls.append(Nacl(id=chosen, vpc=vpc.id, ingress=rules, egress=list(rules)))
    return chosen


def _main_table(vpc: Vpc, tables: list[RouteTable]) -> str:
    flagged = [table.id for table in tables if table.vpc == vpc.id and table.main]
    chosen = vpc.main_route_table or (flagged[0] if flagged else f"rtb-main-{vpc.id}")
    for other in flagged:
        if other != chosen:
            raise ConfigError(other, "main", f"{vpc.id} already has main route table {chosen}")
    position = _position(tables, chosen)
    if position < 0:
        tables.append(RouteTable(id=chosen, vpc=vpc.id, main=True))
    elif tables[position].vpc == vpc.id:
        tables[position] = tables[position].model_copy(update={"main": True})
    return chosen
