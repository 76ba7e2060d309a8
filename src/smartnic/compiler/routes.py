"""Route tables compiled for longest-prefix match (RT-R1..R7, RT-R10).

Each table holds its static and propagated routes, prefix-list routes expanded per entry,
and the implicit `local` route of every VPC CIDR (RT-R2). Lookup returns the longest match;
equal prefixes are broken static > local > prefix list > propagated (RT-R4). A route whose
target does not exist, or a peering that is not active, is a blackhole; LPM still selects
it and the packet is dropped rather than falling back to a shorter prefix (RT-R6).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.cidr import Cidr, parse_cidr
from smartnic.model.config import Config, Route, RouteTable

KIND_LOCAL = "local"
KIND_IGW = "igw"
KIND_VGW = "vgw"
KIND_PEERING = "peering"
KIND_ENI = "eni"
KIND_BLACKHOLE = "blackhole"

_ORIGIN_PRIORITY = {"static": 0, "local": 1, "prefix-list": 2, "propagated": 3}


@dataclass(frozen=True, slots=True)
class RouteEntry:
    cidr: Cidr
    target: str
    kind: str
    origin: str  # static | local | prefix-list | propagated
    destination_text: str
    peer_vpc: str | None = None  # for peering routes
    target_eni: str | None = None  # for eni routes (instance targets resolve to their ENI)

    def describe(self) -> str:
        state = "blackhole" if self.kind == KIND_BLACKHOLE else "active"
        return f"{self.destination_text} -> {self.target} ({self.origin}, {state})"


@dataclass(frozen=True, slots=True)
class CompiledRouteTable:
    id: str
    vpc_id: str
    routes: tuple[RouteEntry, ...]  # sorted: longest prefix first, then tie-break order

    def lookup(self, version: int, address: int) -> RouteEntry | None:
        for route in self.routes:
            if route.cidr.contains(version, address):
                return route
        return None


def compile_route_tables(config: Config) -> dict[str, CompiledRouteTable]:
    resolver = _TargetResolver(config)
    vpcs = {v.id: v for v in config.vpcs}
    prefix_lists = {pl.id: pl.entries for pl in config.prefix_lists}
    tables = {}
    for table in config.route_tables:
        entries = _static_entries(table, resolver, prefix_lists)
        replaced = {str(e.cidr) for e in entries if e.origin == "static"}
        vpc = vpcs[table.vpc]
        for text in [*vpc.cidrs, *vpc.ipv6_cidrs]:
            cidr = parse_cidr(text)
            if str(cidr) not in replaced:
                entries.append(RouteEntry(cidr, "local", KIND_LOCAL, "local", str(cidr)))
        entries.sort(key=lambda e: (-e.cidr.prefix_len, _ORIGIN_PRIORITY[e.origin]))
        tables[table.id] = CompiledRouteTable(table.id, table.vpc, tuple(entries))
    return tables


def _static_entries(
    table: RouteTable, resolver: _TargetResolver, prefix_lists: dict[str, list[str]]
) -> list[RouteEntry]:
    entries = []
    for route in table.routes:
        kind, peer_vpc, eni = resolver.resolve(table.vpc, route)
        origin = "propagated" if route.propagated else "static"
        if route.dst.startswith("pl-"):
            for text in prefix_lists.get(route.dst, []):
                entries.append(RouteEntry(parse_cidr(text), route.target, kind, "prefix-list",
                                          f"{route.dst}[{text}]", peer_vpc, eni))
        else:
            cidr = parse_cidr(route.dst)
            entries.append(RouteEntry(cidr, route.target, kind, origin, str(cidr), peer_vpc, eni))
    return entries


class _TargetResolver:
    """What a route target is, given the objects that exist (RT-R5, RT-R6)."""

    def __init__(self, config: Config) -> None:
        self.igws = {g.id: g.vpc for g in config.igws}
        self.vgws = {g.id: g.vpc for g in config.vgws}
        self.peerings = {p.id: p for p in config.peerings}
        subnet_vpc = {s.id: s.vpc for s in config.subnets}
        self.enis = {e.id: subnet_vpc.get(e.subnet) for e in config.enis}
        self.instances = {e.instance_id: e.id for e in config.enis if e.instance_id}

    def resolve(self, vpc: str, route: Route) -> tuple[str, str | None, str | None]:
        target = route.target
        if target == "local":
            return KIND_LOCAL, None, None
        if self.igws.get(target) == vpc:
            return KIND_IGW, None, None
        if self.vgws.get(target) == vpc:
            return KIND_VGW, None, None
        peering = self.peerings.get(target)
        if peering and peering.state == "active" and vpc in (peering.a, peering.b):
            return KIND_PEERING, peering.b if peering.a == vpc else peering.a, None
        eni = self.instances.get(target, target)
        if self.enis.get(eni) == vpc:
            return KIND_ENI, None, eni
        return KIND_BLACKHOLE, None, None
