"""`smartnic up / down / status`: refusal without side effects, crashes, nothing left behind."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from realnet import require_root, unique_name
from smartnic.cli.main import app
from smartnic.net.linux import list_namespaces
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


def _links() -> str:
    return subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout


def _smartnic_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"smartnic.cli.main\x00engine" in (entry / "cmdline").read_bytes():
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


def test_second_up_refused_then_down_after_a_crash_leaves_nothing(tmp_path: Path) -> None:
    require_root()
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    name = unique_name()
    engines: list[int] = []
    try:
        assert runner.invoke(app, ["up", str(path), "--name", name]).exit_code == 0
        again = runner.invoke(app, ["up", str(path), "--name", name])
        assert again.exit_code == 1 and "already" in again.output
        report = orch.status(orch.topology(name))
        engines = [h["engine_pid"] for h in report["hosts"]] + [report["edge"]["engine_pid"]]
        os.kill(engines[0], signal.SIGKILL)  # a crashed engine
        time.sleep(0.3)
        report = orch.status(orch.topology(name))
        assert [h["engine_alive"] for h in report["hosts"]] == [False, True]
    finally:
        assert runner.invoke(app, ["down", "--name", name]).exit_code == 0
    assert [ns for ns in list_namespaces() if ns.startswith(f"{name}-")] == []
    assert not set(engines) & _smartnic_pids()
    assert not orch.topology(name).directory.exists()
    assert runner.invoke(app, ["down", "--name", name]).exit_code == 0  # idempotent
