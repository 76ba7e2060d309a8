"""Look-up tables over a Config: objects by id and the VPC each object belongs to.

Built once per normalization or validation pass (after ids were checked unique), so the
checks can ask "which VPC is this subnet in?" without scanning lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from smartnic.model.config import (
    Config,
    Eni,
    Gateway,
    Nacl,
    Peering,
    PrefixList,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
)

Item = TypeVar(
    "Item", Vpc, Subnet, SecurityGroup, Nacl, RouteTable, PrefixList, Peering, Gateway, Eni
)


def by_id(items: list[Item]) -> dict[str, Item]:
    return {item.id: item for item in items}


@dataclass(frozen=True)
class ConfigIndex:
    vpcs: dict[str, Vpc]
    subnets: dict[str, Subnet]
    security_groups: dict[str, SecurityGroup]
    nacls: dict[str, Nacl]
    route_tables: dict[str, RouteTable]
    prefix_lists: dict[str, PrefixList]
    peerings: dict[str, Peering]
    igws: dict[str, Gateway]
    vgws: dict[str, Gateway]
    enis: dict[str, Eni]

    @classmethod
    def of(cls, config: Config) -> ConfigIndex:
        return cls(
            vpcs=by_id(config.vpcs),
            subnets=by_id(config.subnets),
            security_groups=by_id(config.security_groups),
            nacls=by_id(config.nacls),
            route_tables=by_id(config.route_tables),
            prefix_lists=by_id(config.prefix_lists),
            peerings=by_id(config.peerings),
            igws=by_id(config.igws),
            vgws=by_id(config.vgws),
            enis=by_id(config.enis),
        )

    def vpc_has_ipv6(self, vpc_id: str) -> bool:
        vpc = self.vpcs.get(vpc_id)
        return vpc is not None and bool(vpc.ipv6_cidrs)

    def subnet_vpc(self, subnet_id: str) -> Vpc | None:
        subnet = self.subnets.get(subnet_id)
        return None if subnet is None else self.vpcs.get(subnet.vpc)

    def eni_vpc(self, eni: Eni) -> Vpc | None:
        return self.subnet_vpc(eni.subnet)

    def active_peering(self, vpc_a: str, vpc_b: str) -> Peering | None:
        """The active peering between two VPCs, in either direction (RT-R10)."""
        pair = {vpc_a, vpc_b}
        return next(
            (p for p in self.peerings.values() if {p.a, p.b} == pair and p.state == "active"),
            None,
        )
