"""`smartnic.net.linux` on real namespaces: build, check with pyroute2, ping, tear down.

Root only. Each topology gets a unique prefix (pid + random) and a state file in a
temporary directory; finalizers tear everything down even when a test fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyroute2 import IPRoute

from smartnic.model import load_config
from smartnic.net.linux import (
    TopologyExists,
    TopologyPlan,
    build,
    builder,
    list_namespaces,
    plan,
    read_state,
    run_in,
    teardown,
)


def _netns_usable() -> bool:
    tools = all(shutil.which(tool) for tool in ("ip", "nft", "ping"))
    return sys.platform == "linux" and os.geteuid() == 0 and tools


pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(not _netns_usable(), reason="needs root and Linux network namespaces"),
]


def topology() -> dict[str, Any]:
    """2 hosts, 4 VMs; eni-a has a secondary IPv4, an IPv6 and a public IP."""
    return {
        "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"],
                  "ipv6_cidrs": ["2001:db8:1234:1a00::/56"]}],
        "subnets": [
            {"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
             "ipv6_cidr": "2001:db8:1234:1a01::/64"},
            {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"},
        ],
        "igws": [{"id": "igw-a", "vpc": "vpc-a"}],
        "enis": [
            {"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.10", "10.0.1.11"],
             "ipv6": ["2001:db8:1234:1a01::10"], "public_ip": "54.240.10.10"},
            {"id": "eni-b", "subnet": "subnet-1", "ips": ["10.0.1.20"], "mtu": 1500},
            {"id": "eni-c", "subnet": "subnet-2", "ips": ["10.0.2.30"]},
            {"id": "eni-d", "subnet": "subnet-2", "ips": ["10.0.2.40"]},
        ],
        "hosts": [{"id": "host-1", "enis": ["eni-a", "eni-c"]},
                  {"id": "host-2", "enis": ["eni-b", "eni-d"]}],
    }


def unique_prefix() -> str:
    return f"t{os.getpid() % 0x10000:04x}{secrets.token_hex(2)[:3]}"


def snapshot(*prefixes: str) -> tuple[list[str], list[str]]:
    """Namespaces and root-namespace links named by these topology prefixes (other tests
    build their own topologies at the same time, so the machine-wide lists move)."""
    with IPRoute() as ipr:
        links = sorted(str(link.get_attr("IFLA_IFNAME")) for link in ipr.get_links())
    return ([n for n in list_namespaces() if n.startswith(prefixes)],
            [name for name in links if name.startswith(prefixes)])


@contextmanager
def built_topology(state_dir: Path, kernel_hosts: frozenset[str] = frozenset()
                   ) -> Iterator[tuple[TopologyPlan, Path]]:
    prefix = unique_prefix()
    raw = topology()
    for host in raw["hosts"]:
        if host["id"] in kernel_hosts:
            host["kind"] = "kernel"
    topo = plan(load_config(raw), prefix)
    state_path = state_dir / prefix / "state.json"
    try:
        build(topo, state_path)
        yield topo, state_path
    finally:
        teardown(state_path)
        teardown(prefix, state_root=state_dir)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TopologyPlan, Path]]:
    with built_topology(tmp_path_factory.mktemp("state")) as result:
        yield result


def links_of(netns: str) -> dict[str, Any]:
    with IPRoute(netns=netns, flags=0) as ipr:
        return {str(link.get_attr("IFLA_IFNAME")): link for link in ipr.get_links()}


def addresses_of(netns: str, dev: str) -> set[str]:
    with IPRoute(netns=netns, flags=0) as ipr:
        index = ipr.link_lookup(ifname=dev)[0]
        return {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                for a in ipr.get_addr(index=index) if a["scope"] == 0}


def default_gateways(netns: str) -> set[str]:
    with IPRoute(netns=netns, flags=0) as ipr:
        routes = [*ipr.get_routes(family=2), *ipr.get_routes(family=10)]
        return {str(r.get_attr("RTA_GATEWAY")) for r in routes
                if r["dst_len"] == 0 and r.get_attr("RTA_GATEWAY")}


def test_namespaces_links_addresses_macs_mtus(built: tuple[TopologyPlan, Path]) -> None:
    topo, state_path = built
    assert set(topo.namespace_names()) <= set(list_namespaces())
    for interface in topo.interfaces():
        link = links_of(interface.netns)[interface.name]
        assert link.get_attr("IFLA_OPERSTATE") == "UP", interface
        if interface.mac:
            assert link.get_attr("IFLA_ADDRESS") == interface.mac
        if interface.mtu:
            assert link.get_attr("IFLA_MTU") == interface.mtu
        assert addresses_of(interface.netns, interface.name) == set(interface.addresses)
    for netns in topo.namespace_names():
        assert links_of(netns)["lo"]["flags"] & 1, f"lo down in {netns}"
    vm = topo.vms["eni-a"]
    assert addresses_of(vm.netns, "eth0") == {
        "10.0.1.10/24", "10.0.1.11/24", "2001:db8:1234:1a01::10/64"}
    assert default_gateways(vm.netns) == {"10.0.1.1", "2001:db8:1234:1a01::1"}
    assert links_of(vm.netns)["eth0"].get_attr("IFLA_MTU") == 9001
    assert links_of(topo.vms["eni-b"].netns)["eth0"].get_attr("IFLA_MTU") == 1500
    state = read_state(state_path)
    assert state is not None and state["complete"] and state["prefix"] == topo.prefix
    assert state["namespaces"] == topo.namespace_names()


def test_host_namespaces_reach_each_other_over_the_underlay(
        built: tuple[TopologyPlan, Path]) -> None:
    topo, _ = built
    host_1, host_2 = topo.hosts["host-1"], topo.hosts["host-2"]
    for netns, target in ((host_1.netns, host_2.underlay_ip),
                          (host_2.netns, topo.edge.underlay_ip)):
        done = run_in(netns, ["ping", "-c", "1", "-W", "2", target], timeout=5)
        assert done.returncode == 0, done.stdout + done.stderr


def test_vm_links_of_engine_hosts_are_silent(built: tuple[TopologyPlan, Path]) -> None:
    topo, _ = built
    host = topo.hosts["host-1"]
    link = host.vm_links["eni-a"]
    rules = run_in(host.netns, ["nft", "list", "table", "netdev", "smartnic_topology"])
    assert rules.returncode == 0 and f'device "{link}"' in rules.stdout
    for key, value in ((f"net.ipv6.conf.{link}.disable_ipv6", "1"),
                       (f"net.ipv4.conf.{link}.arp_ignore", "8"), ("net.ipv4.ip_forward", "0")):
        assert run_in(host.netns, ["sysctl", "-n", key]).stdout.strip() == value


def test_second_build_is_refused_and_changes_nothing(
        built: tuple[TopologyPlan, Path], tmp_path: Path) -> None:
    topo, state_path = built
    before = snapshot(topo.prefix), state_path.read_text(), {
        n: sorted(links_of(n)) for n in topo.namespace_names()}
    with pytest.raises(TopologyExists, match="already recorded"):
        build(topo, state_path)
    other_state = tmp_path / "state.json"
    with pytest.raises(TopologyExists, match="namespaces already exist"):
        build(topo, other_state)
    assert not other_state.exists()
    after = snapshot(topo.prefix), state_path.read_text(), {
        n: sorted(links_of(n)) for n in topo.namespace_names()}
    assert after == before


def test_kernel_vxlan_hosts_bridge_their_vms(tmp_path: Path) -> None:
    with built_topology(tmp_path, frozenset({"host-1", "host-2"})) as (topo, _):
        host = topo.hosts["host-2"]
        links = links_of(host.netns)
        assert {"br0", "vxlan0"} <= set(links)
        vxlan = links["vxlan0"]
        info = vxlan.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA")
        assert info.get_attr("IFLA_VXLAN_ID") == 1001
        assert info.get_attr("IFLA_VXLAN_LOCAL") == host.underlay_ip
        bridge_index = links["br0"]["index"]
        for member in ("vxlan0", host.vm_links["eni-b"], host.vm_links["eni-d"]):
            assert links[member].get_attr("IFLA_MASTER") == bridge_index
        fdb = run_in(host.netns, ["bridge", "fdb", "show", "dev", "vxlan0"]).stdout
        assert "00:00:00:00:00:00 dst 198.18.0.1" in fdb
        assert f"{topo.vms['eni-a'].mac} dst 198.18.0.1" in fdb
        done = run_in(topo.vms["eni-a"].netns, ["ping", "-c", "1", "-W", "2", "10.0.1.20"],
                      timeout=5)
        assert done.returncode == 0, done.stdout + done.stderr


def test_teardown_removes_everything_and_is_idempotent(tmp_path: Path) -> None:
    with built_topology(tmp_path) as (topo, state_path):
        assert snapshot(topo.prefix)[0] != []
        removed = teardown(state_path)
        assert {f"netns:{name}" for name in topo.namespace_names()} <= set(removed)
        assert f"state:{state_path}" in removed
        assert snapshot(topo.prefix) == ([], []) and not state_path.exists()
        assert teardown(state_path) == [] and teardown(topo.prefix, state_root=tmp_path) == []


def test_teardown_after_a_crash_mid_build(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any) -> None:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(builder, "_add_route", crash)
    topos = [plan(load_config(topology()), unique_prefix()) for _ in range(2)]
    paths = [tmp_path / topo.prefix / "state.json" for topo in topos]
    try:
        for topo, state_path in zip(topos, paths, strict=True):
            with pytest.raises(RuntimeError, match="simulated crash"):
                build(topo, state_path)
            state = read_state(state_path)
            assert state is not None and not state["complete"]
            assert state["namespaces"] == topo.namespace_names()
        # The first still has its record; the second lost it: only its prefix is left.
        removed = teardown(paths[0])
        paths[1].unlink()
        removed += teardown(topos[1].prefix, state_root=tmp_path)
        for topo in topos:
            assert {f"netns:{name}" for name in topo.namespace_names()} <= set(removed)
        assert snapshot(*(topo.prefix for topo in topos)) == ([], [])
    finally:
        for topo in topos:
            teardown(topo.prefix, state_root=tmp_path)
