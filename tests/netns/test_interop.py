"""Implementations no one here wrote: the Linux kernel's VXLAN device, and tshark.

A host of `kind: kernel` is plain Linux (bridge + vxlan device, no smartnic engine); its VM
exchanges ping and TCP both ways with a VM behind a smartnic host in the same subnet.
tshark dissects the captured underlay (VXLAN and Geneve) without malformed packets and
shows the inner addresses we sent.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realnet import capture, http_get, ping, require_root, serving, topology_up, vm_ns
from smartnic.runtime import orchestrate as orch

pytestmark = pytest.mark.netns

BASE: dict[str, Any] = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-a1", "vpc": "vpc-a", "cidr": "10.0.1.0/24"},
                {"id": "subnet-a2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"}],
    "security_groups": [{"id": "sg-open", "vpc": "vpc-a", "ingress": [
        {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"},
        {"proto": "tcp", "ports": "80", "peer": "10.0.0.0/16"}]}],
    "enis": [
        {"id": "eni-1", "subnet": "subnet-a1", "ips": ["10.0.1.10"], "sgs": ["sg-open"]},
        {"id": "eni-2", "subnet": "subnet-a2", "ips": ["10.0.2.20"], "sgs": ["sg-open"]},
        {"id": "eni-k", "subnet": "subnet-a1", "ips": ["10.0.1.50"], "sgs": ["sg-open"]}],
    "hosts": [{"id": "host-1", "enis": ["eni-1"]}, {"id": "host-2", "enis": ["eni-2"]},
              {"id": "host-k", "kind": "kernel", "enis": ["eni-k"]}],
}


@pytest.fixture(scope="module", params=["afpacket", "udp"])
def mixed(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[orch.Topology]:
    """The kernel VXLAN host beside smartnic hosts on either underlay: on rings the engines
    read the kernel host's frames as they are (its checksums complete, as on a wire)."""
    require_root()
    with topology_up(BASE, tmp_path_factory.mktemp("interop"),
                     underlay_mode=request.param) as topo:
        yield topo


def _answers(ns: str, address: str, attempts: int = 3) -> bool:
    """First contact across the kernel's VXLAN resolves neighbours by flooding; on a busy
    machine that may outlast one ping run, so a few runs are allowed."""
    return any(ping(ns, address, 3) for _ in range(attempts))


def test_kernel_vxlan_host_pings_both_ways(mixed: orch.Topology) -> None:
    assert _answers(vm_ns(mixed, "eni-k"), "10.0.1.10")
    assert _answers(vm_ns(mixed, "eni-1"), "10.0.1.50")


def test_kernel_vxlan_host_tcp_both_ways(mixed: orch.Topology) -> None:
    with serving(vm_ns(mixed, "eni-1"), "python3", "-m", "http.server", "80"):
        assert http_get(vm_ns(mixed, "eni-k"), "http://10.0.1.10/")
    with serving(vm_ns(mixed, "eni-k"), "python3", "-m", "http.server", "80"):
        assert http_get(vm_ns(mixed, "eni-1"), "http://10.0.1.50/")


def test_arp_is_answered_on_the_host_and_never_flooded(mixed: orch.Topology) -> None:
    """A smartnic VM's ARP for its gateway is answered by the engine; nothing reaches the
    underlay (captured on the underlay bridge)."""
    layout = mixed.plan()
    ns = vm_ns(mixed, "eni-2")
    with capture(layout.underlay_netns, "udp port 4789") as pcap:
        subprocess.run(["ip", "-n", ns, "neigh", "flush", "all"], check=True)
        assert ping(ns, "10.0.1.10", 2)  # resolves the gateway 10.0.2.1 first
        neighbours = subprocess.run(["ip", "-n", ns, "neigh"], capture_output=True,
                                    text=True).stdout
    assert "10.0.2.1 dev eth0 lladdr" in neighbours
    assert tshark_lines(pcap, "arp", "arp.src.proto_ipv4") == []  # no ARP in the overlay
    assert tshark_lines(pcap, "icmp", "ip.src") != []  # while the ping itself crossed it


@pytest.mark.parametrize("overlay, field", [("vxlan", "vxlan.vni"), ("geneve", "geneve.vni")])
def test_tshark_dissects_underlay(overlay: str, field: str, tmp_path: Path) -> None:
    require_root()
    config = copy.deepcopy(BASE)
    config["overlay"] = overlay
    config["hosts"] = [{"id": "host-1", "enis": ["eni-1"]},
                       {"id": "host-2", "enis": ["eni-2", "eni-k"]}]
    with topology_up(config, tmp_path) as topo:
        layout = topo.plan()
        port = "4789" if overlay == "vxlan" else "6081"
        with capture(layout.underlay_netns, f"udp port {port}") as pcap:
            assert ping(vm_ns(topo, "eni-1"), "10.0.2.20", 3)
            with serving(vm_ns(topo, "eni-2"), "python3", "-m", "http.server", "80"):
                assert http_get(vm_ns(topo, "eni-1"), "http://10.0.2.20/")
        assert tshark_lines(pcap, "_ws.malformed || _ws.expert.severity == error",
                            "frame.number") == []
        rows = [line.split("\t") for line in
                tshark_lines(pcap, field, f"{field} ip.src ip.dst ip.proto tcp.dstport")]
        seen = {(src, dst, proto.split(",")[-1], port) for _, src, dst, proto, *rest in rows
                for port in [rest[0] if rest else ""]}
        outer_inner_icmp = ("198.18.0.1,10.0.1.10", "198.18.0.2,10.0.2.20", "1", "")
        assert outer_inner_icmp in seen, sorted(seen)[:6]
        assert ("198.18.0.2,10.0.2.20", "198.18.0.1,10.0.1.10", "1", "") in seen
        assert ("198.18.0.1,10.0.1.10", "198.18.0.2,10.0.2.20", "6", "80") in seen


@pytest.mark.parametrize("underlay", ["afpacket", "udp"])
def test_engines_on_either_underlay(tmp_path: Path, underlay: str) -> None:
    """The same traffic with engines reading the underlay through rings (the default) or a
    socket; the hosts' own stacks never answer the datagrams (no ICMP port-unreachable)."""
    require_root()
    config = copy.deepcopy(BASE)
    config["hosts"] = [{"id": "host-1", "enis": ["eni-1", "eni-k"]},
                       {"id": "host-2", "enis": ["eni-2"]}]
    with topology_up(config, tmp_path, underlay_mode=underlay) as topo:
        layout = topo.plan()
        with capture(layout.underlay_netns, "icmp") as pcap:
            assert ping(vm_ns(topo, "eni-1"), "10.0.2.20", 3)
            with serving(vm_ns(topo, "eni-2"), "python3", "-m", "http.server", "80"):
                assert http_get(vm_ns(topo, "eni-1"), "http://10.0.2.20/")
        assert tshark_lines(pcap, "icmp.type == 3", "ip.src") == []


def tshark_lines(pcap: Path, display_filter: str, fields: str) -> list[str]:
    argv = ["tshark", "-r", str(pcap), "-Y", display_filter, "-T", "fields"]
    for field in fields.split():
        argv += ["-e", field]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.strip()]
