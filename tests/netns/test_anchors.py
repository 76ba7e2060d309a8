"""The benchmark anchors on real namespaces: each builds, carries allowed traffic (ping and
UDP to the open port), drops what its policy forbids (UDP to another port), measures a
nonzero packet rate in a short run, and leaves no namespace, link, process or file behind.
Root only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.anchors import ALLOWED_UDP_PORT, ANCHORS, measure_rtt, measure_udp_pps
from bench.netns import pid_alive

ROOTED = os.geteuid() == 0 and sys.platform == "linux" and shutil.which("ip") is not None
pytestmark = [
    pytest.mark.netns,
    pytest.mark.xdist_group("bench-anchors"),  # one at a time: they measure the same CPUs
    pytest.mark.skipif(not ROOTED, reason="needs root and Linux network namespaces"),
]

FORBIDDEN_UDP_PORT = ALLOWED_UDP_PORT + 1
OUR_LINK_NAMES = {"ul0", "vx0", "vm", "eth0", "br-int", "br-phy"}


def _netns_names() -> set[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _root_links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def _netns_inode(name: str) -> int:
    return os.stat(f"/run/netns/{name}").st_ino


def _pids_in_netns(inodes: set[int]) -> list[int]:
    """Processes whose network namespace is one of `inodes`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            link = os.readlink(entry / "ns" / "net") if entry.name.isdigit() else ""
        except OSError:
            continue
        if link.startswith("net:[") and int(link[5:-1]) in inodes:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("name", sorted(ANCHORS))
def test_anchor_filters_measures_and_cleans_up(name: str) -> None:
    links_before = _root_links()
    with ANCHORS[name]() as topo:
        inodes = {_netns_inode(ns) for ns in topo.namespaces}
        assert set(topo.namespaces) <= _netns_names()

        rtt = measure_rtt(topo.client_ns, topo.server_ip, count=20, interval=0.01)
        assert rtt["received"] >= 18 and 0 < rtt["rtt_p50_us"] <= rtt["rtt_p99_us"]

        allowed = measure_udp_pps(topo.client_ns, topo.server_ns, topo.server_ip,
                                  seconds=2.0, dport=ALLOWED_UDP_PORT)
        assert allowed["offered_pps"] > 0 and allowed["delivered_pps"] > 1000

        forbidden = measure_udp_pps(topo.client_ns, topo.server_ns, topo.server_ip,
                                    seconds=1.0, dport=FORBIDDEN_UDP_PORT)
        assert forbidden["offered_pps"] > 1000
        assert forbidden["delivered_pps"] == 0

    assert not set(topo.namespaces) & _netns_names()
    assert not (_root_links() - links_before) & OUR_LINK_NAMES
    assert not [pid for pid in topo.pids if pid_alive(pid)]
    assert not _pids_in_netns(inodes)
    assert topo.workdir is None or not topo.workdir.exists()


def test_null_forwarder_moves_every_frame_and_cleans_up() -> None:
    """The I/O ceiling's forwarder applies no policy: UDP to the port the anchors' policies
    drop is delivered too; its processes and the topology are gone afterwards."""
    from bench.anchors.null import NullForwarder

    with NullForwarder() as topo:
        inodes = {_netns_inode(ns) for ns in topo.namespaces}
        assert topo.name == "null" and len(topo.pids) == 2
        rtt = measure_rtt(topo.client_ns, topo.server_ip, count=20, interval=0.01)
        assert rtt["received"] >= 18
        closed = measure_udp_pps(topo.client_ns, topo.server_ns, topo.server_ip,
                                 seconds=1.0, dport=FORBIDDEN_UDP_PORT)
        assert closed["delivered_pps"] > 1000
    assert not [pid for pid in topo.pids if pid_alive(pid)]
    assert not set(topo.namespaces) & _netns_names()
    assert not _pids_in_netns(inodes)
