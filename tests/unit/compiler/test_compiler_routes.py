"""Route tables: longest prefix match, RT-R4 tie-breaks, local routes, blackholes (RT-R2..R6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smartnic.compiler import routes as rk
from smartnic.compiler.cidr import parse_ip
from smartnic.compiler.compile import compile_program
from smartnic.compiler.routes import CompiledRouteTable, RouteEntry
from smartnic.model import Config


def _table(build_t1: Callable[..., Config], routes: list[dict[str, Any]],
           extra: dict[str, Any] | None = None) -> CompiledRouteTable:
    patch = {"route_tables": [{"id": "rtb-main", "routes": routes}], **(extra or {})}
    return compile_program(build_t1(patch)).route_tables["rtb-main"]


def _lookup(table: CompiledRouteTable, address: str) -> RouteEntry | None:
    return table.lookup(*parse_ip(address))


VGW = {"vgws": [{"id": "vgw-1", "vpc": "vpc-a"}]}
IGW = {"igws": [{"id": "igw-1", "vpc": "vpc-a"}]}


def test_local_route_per_vpc_cidr_ipv4_and_ipv6_rt_r2(build_t1: Callable[..., Config]) -> None:
    config = build_t1({"vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16", "10.9.0.0/16"]}]})
    table = compile_program(config).route_tables["rtb-main"]
    locals_ = sorted(str(r.cidr) for r in table.routes if r.kind == rk.KIND_LOCAL)
    assert locals_ == ["10.0.0.0/16", "10.9.0.0/16", "2001:db8:1234:1a00::/56"]
    for address in ("10.0.200.1", "10.9.1.1", "2001:db8:1234:1aff::1"):
        route = _lookup(table, address)
        assert route is not None and route.target == "local", address


def test_no_route_outside_every_prefix_rt_r3(build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [])
    assert _lookup(table, "192.168.1.1") is None
    assert _lookup(table, "2001:db8:ffff::1") is None


def test_longest_prefix_wins_regardless_of_listing_order_rt_r3(
        build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [
        {"dst": "0.0.0.0/0", "target": "igw-1"},
        {"dst": "172.16.0.0/12", "target": "eni-fw"},
        {"dst": "172.16.5.0/24", "target": "vgw-1"},
    ], {**VGW, **IGW})
    assert _lookup(table, "172.16.5.9").target == "vgw-1"
    assert _lookup(table, "172.17.0.1").target == "eni-fw"
    assert _lookup(table, "8.8.8.8").target == "igw-1"
    assert _lookup(table, "10.0.2.30").target == "local"


def test_ipv4_default_route_never_covers_ipv6_rt_r3(build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [{"dst": "0.0.0.0/0", "target": "igw-1"}], IGW)
    assert _lookup(table, "2001:db8:ffff::7") is None
    table6 = _table(build_t1, [{"dst": "::/0", "target": "igw-1"}], IGW)
    assert _lookup(table6, "2001:db8:ffff::7").target == "igw-1"
    assert _lookup(table6, "8.8.8.8") is None


def test_static_beats_propagated_on_equal_prefix_rt_r4(build_t1: Callable[..., Config]) -> None:
    for order in (1, -1):  # listing order must not matter
        routes = [{"dst": "172.31.0.0/24", "target": "vgw-1", "propagated": True},
                  {"dst": "172.31.0.0/24", "target": "eni-fw"}][::order]
        table = _table(build_t1, routes, VGW)
        chosen = _lookup(table, "172.31.0.5")
        assert (chosen.target, chosen.origin) == ("eni-fw", "static")


def test_more_specific_propagated_beats_shorter_static_rt_r4(
        build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [
        {"dst": "172.31.0.0/16", "target": "eni-fw"},
        {"dst": "172.31.1.0/24", "target": "vgw-1", "propagated": True},
    ], VGW)
    assert _lookup(table, "172.31.1.5").target == "vgw-1"
    assert _lookup(table, "172.31.2.5").target == "eni-fw"


def test_static_cidr_beats_prefix_list_and_prefix_list_beats_propagated_rt_r4(
        build_t1: Callable[..., Config]) -> None:
    prefix_lists = {"prefix_lists": [{"id": "pl-1", "max_entries": 5,
                                      "entries": ["172.31.0.0/24", "172.31.9.0/24"]}]}
    table = _table(build_t1, [
        {"dst": "pl-1", "target": "vgw-1"},
        {"dst": "172.31.0.0/24", "target": "eni-fw"},
        {"dst": "172.31.9.0/24", "target": "vgw-1", "propagated": True},
    ], {**VGW, **prefix_lists})
    static = _lookup(table, "172.31.0.1")
    assert (static.target, static.origin) == ("eni-fw", "static")
    from_list = _lookup(table, "172.31.9.1")
    assert from_list.origin == "prefix-list" and from_list.target == "vgw-1"
    propagated = [r for r in table.routes if r.origin == "propagated"]
    assert propagated and table.routes.index(propagated[0]) > table.routes.index(from_list)


def test_prefix_list_route_matches_every_entry_rt_r4(build_t1: Callable[..., Config]) -> None:
    extra = {**VGW, "prefix_lists": [{"id": "pl-2", "max_entries": 3,
                                      "entries": ["192.0.2.0/24", "198.51.100.0/24"]}]}
    table = _table(build_t1, [{"dst": "pl-2", "target": "vgw-1"}], extra)
    assert _lookup(table, "192.0.2.77").target == "vgw-1"
    assert _lookup(table, "198.51.100.1").target == "vgw-1"
    assert _lookup(table, "203.0.113.1") is None


def test_local_beats_prefix_list_on_equal_prefix(build_t1: Callable[..., Config]) -> None:
    extra = {**VGW, "prefix_lists": [{"id": "pl-3", "max_entries": 1, "entries": ["10.0.0.0/16"]}]}
    table = _table(build_t1, [{"dst": "pl-3", "target": "vgw-1"}], extra)
    assert _lookup(table, "10.0.2.30").target == "local"


def test_local_target_replaced_by_eni_and_restored_rt_r2(build_t1: Callable[..., Config]) -> None:
    replaced = _table(build_t1, [{"dst": "10.0.0.0/16", "target": "eni-fw"}])
    route = _lookup(replaced, "10.0.2.30")
    assert (route.target, route.kind, route.target_eni) == ("eni-fw", rk.KIND_ENI, "eni-fw")
    assert not [r for r in replaced.routes if r.kind == rk.KIND_LOCAL and r.cidr.version == 4]
    restored = _table(build_t1, [])
    assert _lookup(restored, "10.0.2.30").target == "local"


def test_whole_subnet_route_to_middlebox_beats_local_rt_r3(
        build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [{"dst": "10.0.2.0/24", "target": "eni-fw"}])
    assert _lookup(table, "10.0.2.30").target == "eni-fw"
    assert _lookup(table, "10.0.1.20").target == "local"


def test_blackhole_is_selected_without_fallback_rt_r6(build_t1: Callable[..., Config]) -> None:
    table = _table(build_t1, [
        {"dst": "10.5.0.0/16", "target": "eni-fw"},
        {"dst": "10.5.1.0/24", "target": "eni-deleted"},
    ])
    hole = _lookup(table, "10.5.1.9")
    assert (hole.target, hole.kind) == ("eni-deleted", rk.KIND_BLACKHOLE)
    assert _lookup(table, "10.5.2.9").kind == rk.KIND_ENI


def test_detached_gateway_and_inactive_peering_are_blackholes_rt_r6(
        build_t1: Callable[..., Config]) -> None:
    other_vpc = {
        "vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
        "igws": [{"id": "igw-b", "vpc": "vpc-b"}],
        "peerings": [{"id": "pcx-1", "a": "vpc-a", "b": "vpc-b", "state": "pending-acceptance"}],
    }
    table = _table(build_t1, [
        {"dst": "0.0.0.0/0", "target": "igw-b"},  # attached to another VPC
        {"dst": "10.1.0.0/16", "target": "pcx-1"},
    ], other_vpc)
    assert _lookup(table, "8.8.8.8").kind == rk.KIND_BLACKHOLE
    assert _lookup(table, "10.1.0.5").kind == rk.KIND_BLACKHOLE


def test_route_target_kinds_rt_r5(build_t1: Callable[..., Config]) -> None:
    extra = {**IGW, **VGW, "vpcs": [{"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
             "peerings": [{"id": "pcx-1", "a": "vpc-a", "b": "vpc-b", "state": "active"}],
             "enis": [{"id": "eni-fw", "instance_id": "i-fw"}]}
    table = _table(build_t1, [
        {"dst": "0.0.0.0/0", "target": "igw-1"},
        {"dst": "172.16.0.0/12", "target": "vgw-1"},
        {"dst": "10.1.0.0/16", "target": "pcx-1"},
        {"dst": "192.168.0.0/16", "target": "i-fw"},
    ], extra)
    assert _lookup(table, "8.8.8.8").kind == rk.KIND_IGW
    assert _lookup(table, "172.16.0.1").kind == rk.KIND_VGW
    peering = _lookup(table, "10.1.0.1")
    assert (peering.kind, peering.peer_vpc) == (rk.KIND_PEERING, "vpc-b")
    instance = _lookup(table, "192.168.3.3")
    assert (instance.kind, instance.target_eni) == (rk.KIND_ENI, "eni-fw")
