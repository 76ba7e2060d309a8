"""`smartnic.net.linux` without root: the plan, names, the state file and process stopping."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from smartnic.model import load_config
from smartnic.net.linux import (
    TopologyExists,
    TopologyPlan,
    build,
    check_prefix,
    default_state_path,
    plan,
    prefix_for,
    read_state,
    record_process,
    teardown,
)
from smartnic.net.linux.names import IFNAME_MAX_CHARS, STATE_ROOT_ENV, ifname
from smartnic.net.linux.nsexec import ingress_drop_ruleset
from smartnic.net.linux.state import create_state

PREFIX = "sn3f2a"


def topology() -> dict[str, Any]:
    """2 hosts, 4 VMs; eni-a has a secondary IPv4, an IPv6 and a public IP."""
    return {
        "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"],
                  "ipv6_cidrs": ["2001:db8:1234:1a00::/56"]}],
        "subnets": [
            {"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
             "ipv6_cidr": "2001:db8:1234:1a01::/64"},
            {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/25"},
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


@pytest.fixture
def topo() -> TopologyPlan:
    return plan(load_config(topology()), PREFIX)


def test_interface_names_are_short_and_unique(topo: TopologyPlan) -> None:
    names = [(i.netns, i.name) for i in topo.interfaces()]
    names += [(b.netns, b.name) for b in topo.bridges]
    assert all(len(name) <= IFNAME_MAX_CHARS for _, name in names)
    assert len(names) == len(set(names))
    prefixed = [name for _, name in names if name.startswith(PREFIX)]
    assert len(prefixed) == len(set(prefixed))
    assert all(ns.startswith(f"{PREFIX}-") for ns in topo.namespace_names())
    assert len(topo.namespace_names()) == len(set(topo.namespace_names())) == 2 + 2 + 4 + 1


def test_every_eni_has_a_vm_namespace_on_its_host(topo: TopologyPlan) -> None:
    placement = {"eni-a": "host-1", "eni-c": "host-1", "eni-b": "host-2", "eni-d": "host-2"}
    for eni_id, host_id in placement.items():
        vm, host = topo.vms[eni_id], topo.hosts[host_id]
        assert vm.host_id == host_id and host.vm_links[eni_id] == vm.host_link
        veth = next(v for v in topo.veths if v.peer.netns == vm.netns)
        assert (veth.end.netns, veth.end.name) == (host.netns, vm.host_link)
        assert (veth.peer.name, veth.peer.mac, veth.peer.mtu) == ("eth0", vm.mac, vm.mtu)
        assert veth.end.addresses == () and veth.end.master is None
        assert (f"net/ipv6/conf/{vm.host_link}/disable_ipv6", "1") in veth.end.sysctls
        assert (host.netns, vm.host_link) in topo.engine_links
    assert topo.vms["eni-b"].mtu == 1500 and topo.vms["eni-a"].mtu == 9001


def test_vm_addresses_and_routes(topo: TopologyPlan) -> None:
    vm = topo.vms["eni-a"]
    assert vm.addresses == ("10.0.1.10/24", "10.0.1.11/24", "2001:db8:1234:1a01::10/64")
    routes = {(r.dst, r.gateway, r.onlink) for r in vm.routes}
    assert routes == {("0.0.0.0/0", "10.0.1.1", False), ("::/0", "2001:db8:1234:1a01::1", True)}
    vm_c = topo.vms["eni-c"]
    assert vm_c.addresses == ("10.0.2.30/25",)
    assert [(r.dst, r.gateway) for r in vm_c.routes] == [("0.0.0.0/0", "10.0.2.1")]
    assert set(vm.routes) <= set(topo.routes)


def test_hosts_and_edge_on_the_underlay(topo: TopologyPlan) -> None:
    assert topo.underlay_prefix_len == 16
    host = topo.hosts["host-1"]
    assert (host.underlay_ip, host.underlay_mac) == ("198.18.0.1", "02:5e:c6:12:00:01")
    end = next(i for i in topo.interfaces() if i.name == host.underlay_dev)
    assert end.addresses == ("198.18.0.1/16",) and end.netns == host.netns
    ports = [v.peer for v in topo.veths if v.peer.netns == topo.underlay_netns]
    assert len(ports) == 3 and all(p.master == topo.underlay_bridge for p in ports)
    assert topo.edge.underlay_ip == "198.18.255.254"
    peers = {(n.netns, n.address, n.mac) for n in topo.neighbors}
    assert (host.netns, "198.18.255.254", "02:5e:c6:12:ff:fe") in peers
    ns_by_role = {ns.role: ns for ns in topo.namespaces}
    assert ("net/ipv4/ip_forward", "0") in ns_by_role["host"].sysctls


def test_internet_routes_public_addresses_to_the_edge(topo: TopologyPlan) -> None:
    inet = topo.internet
    assert inet.addresses == ("198.51.100.1/24", "203.0.113.1/24", "2001:db8:ffff::1/64")
    assert {(r.dst, r.dev) for r in inet.routes} == {
        ("54.240.10.10/32", inet.dev), ("2001:db8:1234:1a00::/56", inet.dev)}
    next_hops = {n.address: n.mac for n in topo.neighbors if n.netns == inet.netns}
    assert {r.gateway for r in inet.routes} == set(next_hops)
    assert set(next_hops.values()) == {topo.edge.external_mac}
    external = next(i for i in topo.interfaces() if i.name == topo.edge.external_dev)
    assert external.addresses == () and (topo.edge.netns, external.name) in topo.engine_links


def test_kernel_vxlan_host() -> None:
    raw = topology()
    raw["hosts"][1]["kind"] = "kernel"
    topo = plan(load_config(raw), PREFIX)
    assert topo.hosts["host-2"].kind == "kernel" and topo.hosts["host-1"].kind == "engine"
    (vxlan,) = topo.vxlans
    assert (vxlan.netns, vxlan.name, vxlan.master, vxlan.vni, vxlan.port) == (
        topo.hosts["host-2"].netns, "vxlan0", "br0", 1001, 4789)
    assert vxlan.local == "198.18.0.2" and vxlan.flood_to == ("198.18.0.1",)
    assert set(vxlan.static_fdb) == {(topo.vms[e].mac, "198.18.0.1") for e in ("eni-a", "eni-c")}
    ports = [v.end for v in topo.veths if v.end.netns == topo.hosts["host-2"].netns
             and v.peer.name == "eth0"]
    assert len(ports) == 2 and all(p.master == "br0" for p in ports)
    assert not any(ns == topo.hosts["host-2"].netns for ns, _ in topo.engine_links)
    underlay_ends = {v.end.netns: v.end for v in topo.veths
                     if v.end.name in {h.underlay_dev for h in topo.hosts.values()}}
    # frames leave every host's stack with checksums done, as on a wire
    assert all(end.offloads_off for end in underlay_ends.values()) and len(underlay_ends) == 2


def test_underlay_prefix_covers_config_addresses() -> None:
    raw = topology()
    raw["hosts"][1]["underlay_ip"] = "198.19.0.7"
    topo = plan(load_config(raw), PREFIX)
    assert topo.underlay_prefix_len == 15
    assert all(ipaddress.ip_interface(a).network.prefixlen == 15
               for i in topo.interfaces() if i.netns == topo.hosts["host-2"].netns
               for a in i.addresses)


def test_prefixes_and_state_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert prefix_for("demo.yaml") == prefix_for("demo.yaml")
    assert prefix_for("demo.yaml") != prefix_for("other.yaml")
    assert check_prefix(prefix_for("demo.yaml")) and len(prefix_for("x")) == 6
    for bad in ("a", "Sn12", "sn-1", "sn123456789", "1abc"):
        with pytest.raises(ValueError):
            check_prefix(bad)
    monkeypatch.delenv(STATE_ROOT_ENV, raising=False)
    assert default_state_path("sn12ab") == Path("/run/smartnic/sn12ab/state.json")
    monkeypatch.setenv(STATE_ROOT_ENV, str(tmp_path))
    assert default_state_path("sn12ab") == tmp_path / "sn12ab" / "state.json"
    longest = plan(load_config(topology()), "abcdefgh", config_path="topo.yaml")
    assert longest.config_path == "topo.yaml"
    assert max(len(i.name) for i in longest.interfaces()) <= IFNAME_MAX_CHARS
    with pytest.raises(ValueError, match="longer than 15"):
        ifname("abcdefgh", "v", 1234567)


def test_state_file_and_refusal(topo: TopologyPlan, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    create_state(path, PREFIX, "topo.yaml")
    record_process(path, "host-1", 4242)
    state = read_state(path)
    assert state is not None and state["processes"] == [{"role": "host-1", "pid": 4242}]
    assert state["prefix"] == PREFIX and state["complete"] is False
    before = path.read_text()
    with pytest.raises(TopologyExists, match="already recorded"):
        build(topo, path)
    assert path.read_text() == before


def test_ingress_drop_ruleset() -> None:
    text = ingress_drop_ruleset(["snv1", "snv3"])
    assert text.count("hook ingress") == 2 and 'device "snv3"' in text
    assert "policy drop" in text


def _sleeper(*marks: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *marks])


def test_teardown_stops_only_recorded_smartnic_processes(tmp_path: Path) -> None:
    path = tmp_path / PREFIX / "state.json"
    create_state(path, PREFIX, None)
    engine, stranger = _sleeper("smartnic-engine"), _sleeper("unrelated")
    try:
        record_process(path, "host-1", engine.pid)
        record_process(path, "other", stranger.pid)
        removed = teardown(path, timeout_s=2.0)
        assert engine.wait(timeout=5) != 0
        time.sleep(0.1)
        assert stranger.poll() is None
        assert f"pid:{engine.pid} (host-1)" in removed and f"state:{path}" in removed
        assert not path.exists() and teardown(path) == []
    finally:
        for process in (engine, stranger):
            process.kill()
            process.wait()
