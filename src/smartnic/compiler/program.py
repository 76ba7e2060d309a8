"""The Program: an immutable, numbered compilation of a Config that engines execute.

A policy change produces a new Program with the next generation; flow-cache entries carry
the generation they were decided under and are re-decided when it moves on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smartnic.compiler.nacl import CompiledNacl
from smartnic.compiler.routes import CompiledRouteTable
from smartnic.compiler.views import EniView, HostView, SubnetView, VpcView
from smartnic.model.config import Config
from smartnic.packet.overlay import OverlayKind
from smartnic.telemetry.flowlogs import EniLogContext, FlowLogSpec


@dataclass(frozen=True, slots=True)
class Program:
    generation: int
    config: Config
    overlay: OverlayKind
    vpcs: Mapping[str, VpcView]
    vpc_by_vni: Mapping[int, VpcView]
    subnets: Mapping[str, SubnetView]
    enis: Mapping[str, EniView]
    eni_by_tag: Mapping[int, EniView]
    eni_by_mac: Mapping[bytes, EniView]
    address_owner: Mapping[tuple[str, int, int], str]  # (vpc, version, address) -> ENI
    public_owner: Mapping[int, str]  # public IPv4 -> ENI (1:1 NAT at the IGW)
    nacls: Mapping[str, CompiledNacl]
    route_tables: Mapping[str, CompiledRouteTable]
    edge_route_tables: Mapping[str, CompiledRouteTable]  # gateway id -> table (RT-R7)
    peerings: Mapping[frozenset[str], str]  # active peering per VPC pair
    hosts: Mapping[str, HostView]
    host_by_underlay: Mapping[int, str]
    edge_underlay_ip: int
    gateway_macs: Mapping[str, bytes]
    gateway_by_mac: Mapping[bytes, str]
    flow_log_specs: tuple[FlowLogSpec, ...]
    eni_log_contexts: Mapping[str, EniLogContext]

    @property
    def account_id(self) -> str:
        return self.config.account_id

    def subnet_of(self, eni: EniView) -> SubnetView:
        return self.subnets[eni.subnet_id]

    def owner_of(self, vpc_id: str, version: int, address: int) -> EniView | None:
        eni_id = self.address_owner.get((vpc_id, version, address))
        return self.enis[eni_id] if eni_id else None

    def peering_between(self, vpc_a: str, vpc_b: str) -> str | None:
        return self.peerings.get(frozenset((vpc_a, vpc_b)))

    def enis_on(self, host_id: str) -> list[EniView]:
        host = self.hosts.get(host_id)
        return [self.enis[e] for e in host.eni_ids] if host else []
