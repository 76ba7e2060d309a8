"""`smartnic up / down / status / counters`: refusals without side effects, a crashed
supervisor, an engine that does not answer, nothing left behind, one line per problem."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from realnet import require_root, topology_up, unique_name
from smartnic.cli.main import app
from smartnic.net.linux import list_namespaces
from smartnic.process_records import still_ours
from smartnic.runtime import orchestrate as orch

pytestmark = pytest.mark.netns
runner = CliRunner()

CONFIG = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"}],
    "enis": [{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"]},
             {"id": "eni-2", "subnet": "subnet-1", "ips": ["10.0.1.20"]}],
    "hosts": [{"id": "host-1", "enis": ["eni-1"]}, {"id": "host-2", "enis": ["eni-2"]}],
}


ENGINE_AND_SUPERVISOR_MARKS = (b"smartnic.runtime.engine_process", b"smartnic.runtime.supervisor",
                               b"smartnic.cli.main\x00engine")


def _links() -> str:
    return subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout


def _smartnic_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if any(mark in cmdline for mark in ENGINE_AND_SUPERVISOR_MARKS):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def test_invalid_config_changes_nothing(tmp_path: Path) -> None:
    require_root()
    bad = copy.deepcopy(CONFIG)
    bad["enis"][0]["ips"] = ["10.0.1.255"]  # the subnet's broadcast address (ADDR-R3)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    name = unique_name()
    result = runner.invoke(app, ["up", str(path), "--name", name])
    assert result.exit_code == 2 and "eni-1" in result.output
    assert [ns for ns in list_namespaces() if ns.startswith(f"{name}-")] == []
    assert name not in _links()
    assert not orch.topology(name).directory.exists()


def _one_line(result: Result, status: int, *words: str) -> None:
    assert result.exit_code == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(word in lines[0] for word in words), lines


def _all_recorded(name: str) -> set[tuple[int, int]]:
    state = json.loads(orch.topology(name).state_path.read_text())
    return {(p["pid"], p["start_time"]) for p in state["processes"]}


def test_second_up_refused_then_down_after_the_supervisor_crashed(tmp_path: Path) -> None:
    require_root()
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    name = unique_name()
    recorded: set[tuple[int, int]] = set()
    try:
        assert runner.invoke(app, ["up", str(path), "--name", name]).exit_code == 0
        _one_line(runner.invoke(app, ["up", str(path), "--name", name]), 2, "already up")
        report = orch.status(orch.topology(name))
        recorded = _all_recorded(name)
        os.kill(report["supervisor"]["pid"], signal.SIGKILL)  # the supervisor crashes
        os.kill(report["hosts"][0]["engine_pid"], signal.SIGKILL)  # and nothing restarts this
        time.sleep(1.0)
        report = orch.status(orch.topology(name))
        assert [h["engine_alive"] for h in report["hosts"]] == [False, True]
        assert report["hosts"][0]["engine_state"] == "dead"
        result = runner.invoke(app, ["status", "--name", name])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert sorted(result.stderr.strip().splitlines())[0].startswith("engine host-1: dead")
        assert "supervisor" in result.stderr and "host-2" not in result.stderr
        counters = runner.invoke(app, ["counters", "--name", name])
        _one_line(counters, 1, "engine host-1: not answering")
        assert "host-2" in counters.stdout
    finally:
        assert runner.invoke(app, ["down", "--name", name]).exit_code == 0
    assert [ns for ns in list_namespaces() if ns.startswith(f"{name}-")] == []
    assert not [pid for pid, started in recorded if still_ours(pid, started)]
    assert not _smartnic_pids() & {pid for pid, _ in recorded}
    assert name not in _links()
    assert not orch.topology(name).directory.exists()
    _one_line(runner.invoke(app, ["down", "--name", name]), 2, f"no topology named '{name}'")


def test_counters_while_an_engine_is_stopped(tmp_path: Path) -> None:
    require_root()
    with topology_up(CONFIG, tmp_path) as topo:
        host2 = next(h for h in orch.status(topo)["hosts"] if h["id"] == "host-2")
        os.kill(host2["engine_pid"], signal.SIGSTOP)  # alive, but it answers nothing
        try:
            result = runner.invoke(app, ["counters", "--name", topo.prefix])
        finally:
            os.kill(host2["engine_pid"], signal.SIGCONT)
        _one_line(result, 1, "engine host-2: not answering: no answer within")
        assert "host-1" in result.stdout
        assert runner.invoke(app, ["counters", "--name", topo.prefix]).exit_code == 0
