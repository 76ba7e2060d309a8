"""The VPC's MTU on real namespaces (MTU-R1): VM interfaces get 9001 bytes, the underlay is
jumbo, and a 9001-byte IPv4 packet with DF set crosses hosts through the engines, with the
underlay on a UDP socket and on AF_PACKET rings. A packet over the path MTU (a receiver
whose ENI has MTU 1500) is dropped by the sending engine at `mtu_exceeded` with ICMP 3/4
back to the sender; the engines keep forwarding.

Topology: eni-a on host-1; eni-b (MTU 9001, the default) and eni-s (MTU 1500) on host-2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from realnet import eni_counters, ping, require_root, sh, topology_up, vm_ns
from smartnic.net.linux.planner import DEFAULT_UNDERLAY_MTU
from smartnic.runtime import orchestrate as orch

pytestmark = pytest.mark.netns

VPC_MTU = 9001
JUMBO_PAYLOAD = VPC_MTU - 20 - 8  # ping -s: IPv4 and ICMP headers make 9001 bytes
CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-a1", "vpc": "vpc-a", "cidr": "10.0.1.0/24"},
                {"id": "subnet-a2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"}],
    "security_groups": [{"id": "sg-icmp", "vpc": "vpc-a", "ingress": [
        {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"}]}],
    "enis": [
        {"id": "eni-a", "subnet": "subnet-a1", "ips": ["10.0.1.10"], "sgs": ["sg-icmp"]},
        {"id": "eni-b", "subnet": "subnet-a2", "ips": ["10.0.2.20"], "sgs": ["sg-icmp"]},
        {"id": "eni-s", "subnet": "subnet-a2", "ips": ["10.0.2.30"], "sgs": ["sg-icmp"],
         "mtu": 1500}],
    "hosts": [{"id": "host-1", "enis": ["eni-a"]}, {"id": "host-2", "enis": ["eni-b", "eni-s"]}],
}


@pytest.fixture(params=["udp", "afpacket"])
def cloud(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[orch.Topology]:
    require_root()
    with topology_up(CONFIG, tmp_path, underlay_mode=request.param) as topo:
        yield topo


def _mtu(ns: str, dev: str) -> int:
    words = sh(ns, "ip", "-o", "link", "show", dev).stdout.split()
    return int(words[words.index("mtu") + 1])


def test_a_9001_byte_packet_with_df_crosses_hosts(cloud: orch.Topology) -> None:
    layout = cloud.plan()
    client = vm_ns(cloud, "eni-a")
    assert _mtu(client, "eth0") == _mtu(vm_ns(cloud, "eni-b"), "eth0") == VPC_MTU
    host = layout.hosts["host-1"]
    assert _mtu(host.netns, host.underlay_dev) == DEFAULT_UNDERLAY_MTU
    assert ping(client, "10.0.2.20", 1)  # neighbours resolved, the flow decided
    done = sh(client, "ping", "-M", "do", "-s", str(JUMBO_PAYLOAD), "-c", "3", "-W", "2",
              "-i", "0.2", "10.0.2.20")
    assert done.returncode == 0 and f"{JUMBO_PAYLOAD + 8} bytes from 10.0.2.20" in done.stdout, \
        done.stdout + done.stderr
    too_big = sh(client, "ping", "-M", "do", "-s", str(JUMBO_PAYLOAD + 1), "-c", "1",
                 "10.0.2.20")  # the VM's own stack refuses what exceeds its interface
    assert too_big.returncode != 0
    ports = orch.counters(cloud)["host-2"]["ports"]
    assert not any(stats.get("rx_truncated") or stats.get("rx_skipped")
                   for stats in ports.values()), ports


def test_a_packet_over_the_receivers_mtu_is_dropped_with_icmp_frag_needed(
        cloud: orch.Topology) -> None:
    client = vm_ns(cloud, "eni-a")
    assert ping(client, "10.0.2.30", 1)
    before = eni_counters(cloud, "eni-a").get("drop.mtu_exceeded.df_set", 0)
    done = sh(client, "ping", "-M", "do", "-s", "2000", "-c", "2", "-W", "1", "-i", "0.2",
              "10.0.2.30")
    assert "mtu = 1500" in done.stdout or "mtu=1500" in done.stdout, done.stdout
    assert eni_counters(cloud, "eni-a").get("drop.mtu_exceeded.df_set", 0) > before
    assert ping(client, "10.0.2.30", 2, "-M", "do", "-s", "1472")  # fits: still forwarded
    assert ping(client, "10.0.2.20", 2, "-M", "do", "-s", str(JUMBO_PAYLOAD))
