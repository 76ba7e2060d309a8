"""Supervised engines on real namespaces: crashes, restarts, hand-started engines, `down`.

Topology: three hosts, one VM each, one subnet, an SG open to ICMP within the VPC.
  eni-1 host-1 10.0.1.10 (its engine is killed)   eni-2 host-2 10.0.1.20
  eni-3 host-3 10.0.1.30
While host-1's engine is killed (SIGKILL, then SIGSEGV) and restarted, eni-2 pings eni-3
without pause: the other engines must not lose a packet. The restarted engine starts with
empty connection tracking, so its VM is reachable again as soon as it answers.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from realnet import ping, require_root, sh, topology_up, vm_ns
from smartnic.cli.main import app
from smartnic.net.linux import list_namespaces
from smartnic.process_records import still_ours
from smartnic.runtime import orchestrate as orch

pytestmark = [pytest.mark.netns, pytest.mark.xdist_group("supervision")]
runner = CliRunner()

RESTART_WAIT_S = 60.0  # a restarted engine loads its kernels; the machine may be busy
REACH_WAIT_S = 10.0
ICMP = [{"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"}]
CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"}],
    "security_groups": [{"id": "sg-icmp", "vpc": "vpc-1", "ingress": ICMP,
                         "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]}],
    "enis": [{"id": f"eni-{n}", "subnet": "subnet-1", "ips": [f"10.0.1.{n}0"],
              "sgs": ["sg-icmp"]} for n in (1, 2, 3)],
    "hosts": [{"id": f"host-{n}", "enis": [f"eni-{n}"]} for n in (1, 2, 3)],
}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[orch.Topology]:
    require_root()
    with topology_up(CONFIG, tmp_path_factory.mktemp("supervision")) as topo:
        yield topo


def _engine(topo: orch.Topology, host_id: str) -> dict[str, Any]:
    return next(h for h in orch.status(topo)["hosts"] if h["id"] == host_id)


def _wait_restarted(topo: orch.Topology, host_id: str, restarts: int) -> dict[str, Any]:
    deadline = time.monotonic() + RESTART_WAIT_S
    while time.monotonic() < deadline:
        engine = _engine(topo, host_id)
        if engine["restarts"] == restarts and engine["engine_state"] == "running":
            return engine
        time.sleep(0.1)
    raise AssertionError(f"{host_id} not restarted after {RESTART_WAIT_S} s: "
                         f"{_engine(topo, host_id)}")


def _reaches(ns: str, address: str) -> bool:
    deadline = time.monotonic() + REACH_WAIT_S
    while time.monotonic() < deadline:
        if ping(ns, address, 1):
            return True
    return False


class ContinuousPing:
    """`ping -i 0.2` in a VM for as long as the block lasts; then the sequence numbers
    with no reply, among those before the last reply (the last probes in flight when it
    is stopped do not count as lost)."""

    def __init__(self, ns: str, address: str) -> None:
        self.argv = ["ip", "netns", "exec", ns, "ping", "-n", "-i", "0.2", address]

    def __enter__(self) -> ContinuousPing:
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(1.0)  # replies after the restart, so losses during it are inside the range
        self.process.send_signal(signal.SIGINT)  # by PID: the ping this test started
        output, _ = self.process.communicate(timeout=10)
        self.replied = sorted({int(s) for s in re.findall(r"icmp_seq=(\d+)", output)})

    def lost(self) -> list[int]:
        return sorted(set(range(1, self.replied[-1] + 1)) - set(self.replied))


@pytest.mark.parametrize("number", [signal.SIGKILL, signal.SIGSEGV])
def test_a_crashed_engine_restarts_while_the_others_forward(cloud: orch.Topology,
                                                            number: signal.Signals) -> None:
    vm1, vm2 = vm_ns(cloud, "eni-1"), vm_ns(cloud, "eni-2")
    assert _reaches(vm1, "10.0.1.20") and _reaches(vm1, "10.0.1.30")
    before = _engine(cloud, "host-1")
    with ContinuousPing(vm2, "10.0.1.30") as pinger:
        os.kill(before["engine_pid"], number)
        after = _wait_restarted(cloud, "host-1", before["restarts"] + 1)
        assert _reaches(vm1, "10.0.1.20") and _reaches(vm1, "10.0.1.30")
    assert after["engine_pid"] != before["engine_pid"] and after["engine_alive"]
    assert after["last_exit"] == number.name
    print(f"host-1 after {number.name}: answering {after['ready_after_s']} s after the crash")
    assert len(pinger.replied) >= 10, "the ping between host-2 and host-3 did not run"
    assert pinger.lost() == [], f"host-2 -> host-3 lost {pinger.lost()} meanwhile"


def test_status_shows_restarts_and_the_last_exit(cloud: orch.Topology) -> None:
    """Its own crash: pytest-xdist may run other modules' tests (and rebuild `cloud`)
    between this test and the ones above."""
    before = _engine(cloud, "host-1")
    os.kill(before["engine_pid"], signal.SIGKILL)
    host1 = _wait_restarted(cloud, "host-1", before["restarts"] + 1)
    assert host1["last_exit"] == "SIGKILL"
    table = runner.invoke(app, ["status", "--name", cloud.prefix])
    assert table.exit_code == 0, table.output
    assert host1["last_exit"] in table.stdout and "running" in table.stdout
    report = json.loads(runner.invoke(app, ["status", "--name", cloud.prefix,
                                            "--json"]).stdout)
    host1_json = next(h for h in report["hosts"] if h["id"] == "host-1")
    assert (host1_json["restarts"], host1_json["last_exit"]) == (host1["restarts"],
                                                                 host1["last_exit"])
    assert report["supervisor"]["running"] and report["supervisor"]["policy"]["max_restarts"]


@pytest.mark.parametrize("entry", [["smartnic.cli.main", "engine"],
                                   ["smartnic.runtime.engine_process"]])
def test_an_engine_started_by_hand_is_refused(cloud: orch.Topology, entry: list[str]) -> None:
    before = _engine(cloud, "host-2")
    layout = cloud.plan()
    done = sh(layout.hosts["host-2"].netns, sys.executable, "-m", *entry,
              "--spec", str(cloud.spec_path("host-2")), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "engine refused" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    after = _engine(cloud, "host-2")
    assert (after["engine_pid"], after["restarts"]) == (before["engine_pid"], before["restarts"])
    assert "error" not in orch.counters(cloud)["host-2"]  # its control socket still its own
    assert _reaches(vm_ns(cloud, "eni-2"), "10.0.1.30")


def _recorded_pids(topo: orch.Topology) -> set[tuple[int, int]]:
    state = json.loads(topo.state_path.read_text())
    return {(p["pid"], p["start_time"]) for p in state["processes"]}


def test_down_after_restarts_leaves_nothing(tmp_path: Path) -> None:
    require_root()
    small = dict(CONFIG, enis=CONFIG["enis"][:2], hosts=CONFIG["hosts"][:2])
    seen: set[tuple[int, int]] = set()
    with topology_up(small, tmp_path) as topo:
        for restarts in (1, 2):
            seen |= _recorded_pids(topo)
            os.kill(_engine(topo, "host-1")["engine_pid"], signal.SIGKILL)
            _wait_restarted(topo, "host-1", restarts)
        seen |= _recorded_pids(topo)
        name = topo.prefix
    assert len(seen) == 1 + 3 + 2  # the supervisor, two hosts and the edge, two restarts
    assert not [pid for pid, started in seen if still_ours(pid, started)]
    assert not [ns for ns in list_namespaces() if ns.startswith(f"{name}-")]
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    assert name not in links
    assert not topo.directory.exists()
