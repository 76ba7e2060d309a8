"""`up --poll adaptive|busy --cpus …` on real namespaces: host engines run in the mode on
the CPU they were given, VMs on different hosts reach each other, and status answers while
the engines spin."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from realnet import ping, require_root, topology_up, vm_ns
from smartnic.runtime import orchestrate as orch
from smartnic.runtime.polling import EnginePlacement
from smartnic.runtime.spec import EngineSpec

pytestmark = [pytest.mark.netns]

OPEN_ICMP = [{"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"}]
CONFIG = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-a", "vpc": "vpc-a", "cidr": "10.0.1.0/24"}],
    "security_groups": [{"id": "sg-ping", "vpc": "vpc-a", "ingress": OPEN_ICMP}],
    "enis": [{"id": "eni-1", "subnet": "subnet-a", "ips": ["10.0.1.10"], "sgs": ["sg-ping"]},
             {"id": "eni-2", "subnet": "subnet-a", "ips": ["10.0.1.20"], "sgs": ["sg-ping"]}],
    "hosts": [{"id": "host-1", "enis": ["eni-1"]}, {"id": "host-2", "enis": ["eni-2"]}],
}


@pytest.fixture(params=["adaptive", "busy"])
def spinning(request: pytest.FixtureRequest, tmp_path: Path
             ) -> Iterator[tuple[orch.Topology, EnginePlacement]]:
    require_root()
    cpus = sorted(os.sched_getaffinity(0))[:2]
    placement = EnginePlacement(request.param, cpus)
    with topology_up(CONFIG, tmp_path, placement=placement) as topo:
        yield topo, placement


def test_spinning_engines_forward_on_their_cpus_and_answer_status(spinning) -> None:
    topo, placement = spinning
    assert ping(vm_ns(topo, "eni-1"), "10.0.1.20", 3)
    report = orch.status(topo)
    pids = {h["id"]: h["engine_pid"] for h in report["hosts"]}
    for index, host in enumerate(("host-1", "host-2")):
        spec = EngineSpec.load(topo.spec_path(host))
        assert (spec.poll_mode, spec.cpus) == (placement.poll_mode, placement.host_cpus(index))
        assert os.sched_getaffinity(pids[host]) == set(placement.host_cpus(index))
    edge = EngineSpec.load(topo.spec_path("edge"))
    assert edge.poll_mode == "interrupt"  # the gateway is not a host's co-processor
    shown = {h["id"]: (h["poll"], h["cpus"]) for h in report["hosts"]}
    assert shown == {"host-1": (placement.poll_mode, placement.host_cpus(0)),
                     "host-2": (placement.poll_mode, placement.host_cpus(1))}
    assert report["edge"]["poll"] == "interrupt"
