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
    # ENIs some route of their own VPC targets (subnet or gateway route tables, RT-R7/R8)
    route_target_enis: frozenset[str] = frozenset()

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

    def may_forward(self, eni: EniView) -> bool:
        """A legitimate next hop: source/destination check off and a route target (RT-R8)."""
        return not eni.src_dst_check and eni.id in self.route_target_enis

    def may_send_from(self, eni: EniView, version: int, address: int) -> bool:
        """Whether `eni` may send packets with this source (ENI-R6, RT-R8): its own address;
        with the check off, an address no interface of its VPC or a peered VPC holds (a NAT
        or an appliance's own addresses); another interface's address only as a legitimate
        next hop, so no VM can pose as its neighbour unless routes send it their traffic."""
        if eni.owns(version, address):
            return True
        if eni.src_dst_check:
            return False
        return self.may_forward(eni) or all(
            self.owner_of(vpc_id, version, address) is None
            for vpc_id in self.vpc_and_peers(eni.vpc_id))

    def vpc_and_peers(self, vpc_id: str) -> list[str]:
        return [vpc_id, *(v for pair in self.peerings if vpc_id in pair for v in pair
                          if v != vpc_id)]

    def enis_on(self, host_id: str) -> list[EniView]:
        host = self.hosts.get(host_id)
        return [self.enis[e] for e in host.eni_ids] if host else []
