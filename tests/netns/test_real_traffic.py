"""Real applications between VMs (network namespaces) through smartnic engines.

Topology: 2 hosts, 4 VMs; two VPCs joined by a peering; an internet gateway.
  eni-1 host-1 subnet-a1 (IPv4+IPv6, public IP)   eni-2 host-1 subnet-a2
  eni-3 host-2 subnet-a1 (IPv4+IPv6)             eni-4 host-2 vpc-b (peer; TCP 80 only)
"""

from __future__ import annotations

import gzip
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realnet import (
    eni_counters,
    http_get,
    iperf,
    ping,
    require_root,
    serving,
    sh,
    topology_up,
    vm_ns,
)
from smartnic.runtime import orchestrate as orch
from smartnic.runtime.spec import EngineSpec

# One worker runs the whole module in order, on one topology.
pytestmark = [pytest.mark.netns, pytest.mark.xdist_group("real_traffic")]

OPEN = [{"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/8"},
        {"proto": "icmpv6", "peer": "::/0"},
        {"proto": "tcp", "ports": "80", "peer": "10.0.0.0/8"},
        {"proto": "tcp", "ports": "80", "peer": "::/0"},
        {"proto": "tcp", "ports": "80", "peer": "198.51.100.0/24"},
        {"proto": "tcp", "ports": "5201", "peer": "10.0.0.0/8"},
        {"proto": "udp", "ports": "5201", "peer": "10.0.0.0/8"}]

CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"], "ipv6_cidrs": ["2001:db8:a::/56"]},
             {"id": "vpc-b", "cidrs": ["10.1.0.0/16"]}],
    "peerings": [{"id": "pcx-ab", "a": "vpc-a", "b": "vpc-b"}],
    "igws": [{"id": "igw-a", "vpc": "vpc-a"}],
    "subnets": [
        {"id": "subnet-a1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
         "ipv6_cidr": "2001:db8:a:1::/64"},
        {"id": "subnet-a2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"},
        {"id": "subnet-b1", "vpc": "vpc-b", "cidr": "10.1.1.0/24"}],
    "route_tables": [
        {"id": "rtb-a", "vpc": "vpc-a", "main": True, "routes": [
            {"dst": "10.1.0.0/16", "target": "pcx-ab"}, {"dst": "0.0.0.0/0", "target": "igw-a"},
            {"dst": "::/0", "target": "igw-a"}]},
        {"id": "rtb-b", "vpc": "vpc-b", "main": True, "routes": [
            {"dst": "10.0.0.0/16", "target": "pcx-ab"}]}],
    "security_groups": [
        {"id": "sg-open", "vpc": "vpc-a", "ingress": OPEN,
         "egress": [{"proto": "all", "peer": "0.0.0.0/0"}, {"proto": "all", "peer": "::/0"}]},
        {"id": "sg-web-b", "vpc": "vpc-b", "ingress": [
            {"proto": "tcp", "ports": "80", "peer": "10.0.0.0/16"}]}],
    "enis": [
        {"id": "eni-1", "subnet": "subnet-a1", "ips": ["10.0.1.10"],
         "ipv6": ["2001:db8:a:1::10"], "public_ip": "54.0.0.10", "sgs": ["sg-open"]},
        {"id": "eni-2", "subnet": "subnet-a2", "ips": ["10.0.2.20"], "sgs": ["sg-open"]},
        {"id": "eni-3", "subnet": "subnet-a1", "ips": ["10.0.1.30"],
         "ipv6": ["2001:db8:a:1::30"], "sgs": ["sg-open"]},
        {"id": "eni-4", "subnet": "subnet-b1", "ips": ["10.1.1.40"], "sgs": ["sg-web-b"]}],
    "hosts": [{"id": "host-1", "enis": ["eni-1", "eni-2"]},
              {"id": "host-2", "enis": ["eni-3", "eni-4"]}],
    "flow_logs": [{"id": "fl-a", "resource": "vpc-a", "interval": 60}],
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[orch.Topology]:
    require_root()
    with topology_up(CONFIG, tmp_path_factory.mktemp("real")) as topo:
        yield topo


def test_status_lists_hosts_vms_and_live_engines(cloud: orch.Topology) -> None:
    report = orch.status(cloud)
    assert {h["id"] for h in report["hosts"]} == {"host-1", "host-2"}
    assert all(h["engine_alive"] and h["engine_pid"] for h in report["hosts"])
    vms = {v["eni"]: v for v in report["vms"]}
    assert vms["eni-1"]["host"] == "host-1" and "2001:db8:a:1::10" in vms["eni-1"]["ips"]


def test_ping_same_host_cross_host_and_ipv6(cloud: orch.Topology) -> None:
    assert ping(vm_ns(cloud, "eni-1"), "10.0.2.20")  # same host, across subnets
    assert ping(vm_ns(cloud, "eni-1"), "10.0.1.30")  # across hosts, same subnet
    assert ping(vm_ns(cloud, "eni-1"), "2001:db8:a:1::30")


def test_sg_drop_is_silent_and_counted(cloud: orch.Topology) -> None:
    before = eni_counters(cloud, "eni-4").get("drop.dst_sg_ingress.no_matching_rule", 0)
    done = sh(vm_ns(cloud, "eni-1"), "ping", "-c", "2", "-W", "1", "10.1.1.40")
    assert done.returncode != 0 and "Unreachable" not in done.stdout  # no ICMP error back
    after = eni_counters(cloud, "eni-4").get("drop.dst_sg_ingress.no_matching_rule", 0)
    assert after - before == 2


def test_http_within_vpc_and_across_peering(cloud: orch.Topology) -> None:
    with serving(vm_ns(cloud, "eni-3"), "python3", "-m", "http.server", "80", "--bind", "::"):
        assert http_get(vm_ns(cloud, "eni-1"), "http://10.0.1.30/")
        assert http_get(vm_ns(cloud, "eni-2"), "http://10.0.1.30/")
        assert http_get(vm_ns(cloud, "eni-1"), "http://[2001:db8:a:1::30]/")
    with serving(vm_ns(cloud, "eni-4"), "python3", "-m", "http.server", "80"):
        assert http_get(vm_ns(cloud, "eni-1"), "http://10.1.1.40/")  # over pcx-ab
    with serving(vm_ns(cloud, "eni-4"), "python3", "-m", "http.server", "8080"):
        assert not http_get(vm_ns(cloud, "eni-1"), "http://10.1.1.40:8080/", 2)  # SG: 80 only


def test_iperf3_tcp_and_udp(cloud: orch.Topology) -> None:
    with serving(vm_ns(cloud, "eni-3"), "iperf3", "-s", "-1"):
        tcp = iperf(vm_ns(cloud, "eni-1"), "10.0.1.30")
    assert tcp["end"]["sum_received"]["bytes"] > 0
    with serving(vm_ns(cloud, "eni-3"), "iperf3", "-s", "-1"):
        udp = iperf(vm_ns(cloud, "eni-1"), "10.0.1.30", "-u", "-b", "5M", "-l", "1000")
    assert udp["end"]["sum"]["packets"] > 0
    assert udp["end"]["sum"]["lost_percent"] < 20


def test_internet_through_the_gateway(cloud: orch.Topology) -> None:
    inet = cloud.plan().internet.netns
    with serving(vm_ns(cloud, "eni-1"), "python3", "-m", "http.server", "80", "--bind", "::"):
        assert http_get(inet, "http://54.0.0.10/")
        assert http_get(inet, "http://[2001:db8:a:1::10]/")
    assert ping(vm_ns(cloud, "eni-1"), "198.51.100.1")


def test_path_mtu_through_the_gateway(cloud: orch.Topology) -> None:
    """The IGW path is 1500 bytes: DF traffic bigger than that gets ICMP 3/4 / PTB."""
    ns = vm_ns(cloud, "eni-1")
    done = sh(ns, "ping", "-M", "do", "-s", "1600", "-c", "3", "-W", "1", "198.51.100.1")
    assert "mtu = 1500" in done.stdout or "mtu=1500" in done.stdout, done.stdout
    done6 = sh(ns, "ping", "-6", "-M", "do", "-s", "1600", "-c", "3", "-W", "1",
               "2001:db8:ffff::1")
    assert "mtu=1500" in done6.stdout.replace(" ", "") or "toobig" in done6.stdout.replace(
        " ", "").lower(), done6.stdout
    assert ping(ns, "198.51.100.1", 2, "-s", "1400", "-M", "do")


def test_underlay_garbage_is_dropped_and_counted(cloud: orch.Topology) -> None:
    layout = cloud.plan()
    host1 = layout.hosts["host-1"]
    script = ("import socket,os;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
              f"[s.sendto(os.urandom(n),('{host1.underlay_ip}',4789)) for n in (1,7,8,40,200)]")
    sh(layout.hosts["host-2"].netns, "python3", "-c", script)
    time.sleep(0.5)
    engine = orch.counters(cloud)["host-1"]["engine"]
    assert engine.get("decap", 0) + engine.get("parse", 0) >= 5
    assert ping(vm_ns(cloud, "eni-1"), "10.0.1.30")  # still forwarding


def test_sigterm_flushes_flow_logs_and_status_shows_the_dead_engine(
        cloud: orch.Topology) -> None:
    """Runs last in this module: it stops host-1's engine."""
    assert ping(vm_ns(cloud, "eni-1"), "10.0.2.20")
    host1 = next(h for h in orch.status(cloud)["hosts"] if h["id"] == "host-1")
    os.kill(host1["engine_pid"], signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(cloud, "host-1"):
        time.sleep(0.1)
    assert not _alive(cloud, "host-1")
    assert _alive(cloud, "host-2")
    flowlog_dir = Path(EngineSpec.load(cloud.spec_path("host-1")).flowlog_dir)
    text = "".join(gzip.decompress(f.read_bytes()).decode()
                   for f in flowlog_dir.rglob("*.log.gz"))
    assert "eni-1 10.0.1.10 10.0.2.20 0 0 1" in text  # the pings, egress record (FL-R12)


def _alive(cloud: orch.Topology, host_id: str) -> bool:
    return bool(next(h for h in orch.status(cloud)["hosts"] if h["id"] == host_id)[
        "engine_alive"])
