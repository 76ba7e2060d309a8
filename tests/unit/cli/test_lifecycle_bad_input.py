"""Lifecycle commands on bad input: one line on stderr, the right exit status, no traceback.

No root needed: topologies that are "up" here are state directories written by the test
(under a temporary SMARTNIC_STATE_DIR) — a dead engine, a damaged topology, an engine that
never answers. The real thing is in tests/netns/test_lifecycle.py and test_supervision.py.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from smartnic.cli.main import app
from smartnic.model import load_config
from smartnic.net.linux import plan
from smartnic.net.linux.names import STATE_ROOT_ENV
from smartnic.net.linux.state import create_state, record_process
from smartnic.process_records import start_time
from smartnic.runtime import orchestrate as orch
from smartnic.runtime.spec import EngineSpec
from smartnic.runtime.supervision import write_report

runner = CliRunner()
CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"}],
    "enis": [{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"]},
             {"id": "eni-2", "subnet": "subnet-1", "ips": ["10.0.1.20"]}],
    "hosts": [{"id": "host-1", "enis": ["eni-1"]}, {"id": "host-2", "enis": ["eni-2"]}],
}
INVALID_NAMES = ["A-B", "", "abcdefghi", "ab_c", "1abc", "a", "ab c", "tx\n"]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="down needs root")


@pytest.fixture(autouse=True)
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "state"
    monkeypatch.setenv(STATE_ROOT_ENV, str(root))
    return root


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


def _unused_name() -> str:
    return "u" + secrets.token_hex(3)


def _one_line_refusal(result: Result, status: int, *words: str) -> str:
    assert result.exit_code == status, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("name", INVALID_NAMES)
@pytest.mark.parametrize("command", ["status", "counters", "down", "up"])
def test_invalid_names_refused_by_every_command(command: str, name: str,
                                                config_file: Path) -> None:
    argv = [command, *([str(config_file)] if command == "up" else []), "--name", name]
    line = _one_line_refusal(runner.invoke(app, argv), 2, "invalid topology name")
    assert "lower-case letters or digits" in line


def test_name_refusals_say_what_is_wrong() -> None:
    too_long = _one_line_refusal(runner.invoke(app, ["status", "--name", "abcdefghi"]), 2)
    assert "at most 8" in too_long and "15 characters" in too_long
    dash = _one_line_refusal(runner.invoke(app, ["status", "--name", "A-B"]), 2)
    assert "'-'" in dash and "'A'" in dash
    assert "empty" in _one_line_refusal(runner.invoke(app, ["down", "--name", ""]), 2)


@pytest.mark.parametrize("command", ["status", "counters", "down"])
def test_a_topology_that_does_not_exist(command: str) -> None:
    name = _unused_name()
    _one_line_refusal(runner.invoke(app, [command, "--name", name]), 2,
                      f"no topology named '{name}' is up")


def test_status_with_nothing_up_and_down_with_nothing_up() -> None:
    _one_line_refusal(runner.invoke(app, ["status"]), 2, "no topology is up")
    result = runner.invoke(app, ["down"])
    assert result.exit_code == 0 and "nothing to remove" in result.stdout


def test_up_with_a_missing_or_bad_config(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    _one_line_refusal(runner.invoke(app, ["up", str(missing), "--name", _unused_name()]), 2,
                      "config refused", "missing.yaml")
    bad = dict(CONFIG, enis=[{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.255"]}])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    _one_line_refusal(runner.invoke(app, ["up", str(path), "--name", _unused_name()]), 2,
                      "config refused", "eni-1")
    path.write_text("vpcs: [unclosed")
    _one_line_refusal(runner.invoke(app, ["up", str(path), "--name", _unused_name()]), 2,
                      "config refused")


def test_up_with_an_unknown_underlay_mode(config_file: Path) -> None:
    _one_line_refusal(runner.invoke(app, ["up", str(config_file), "--name", _unused_name(),
                                          "--underlay", "carrier-pigeon"]), 2,
                      "unknown underlay mode")


@pytest.mark.parametrize("option, value, named", [
    ("--poll", "sometimes", "--poll 'sometimes'"),
    ("--cpus", "99999", "CPU 99999 is not available"),
    ("--cpus", "1-0", "is empty"),
    ("--cpus", "zero", "expected CPU numbers"),
    ("--cpus", "0-99999999", "too long"),
])
def test_up_with_a_bad_poll_mode_or_cpu_list(config_file: Path, option: str, value: str,
                                             named: str) -> None:
    _one_line_refusal(runner.invoke(app, ["up", str(config_file), "--name", _unused_name(),
                                          option, value]), 2, named)


def test_up_of_a_name_already_up_touches_nothing(config_file: Path) -> None:
    name = _unused_name()
    topo = orch.topology(name)
    create_state(topo.state_path, name, None)
    before = topo.state_path.read_text()
    _one_line_refusal(runner.invoke(app, ["up", str(config_file), "--name", name]), 2,
                      "already up", f"down --name {name}")
    assert topo.state_path.read_text() == before


def _fake_topology(name: str, sockets: dict[str, str] | None = None) -> orch.Topology:
    """A topology's state directory as `up` leaves it, without namespaces or processes."""
    topo = orch.topology(name)
    create_state(topo.state_path, name, str(topo.config_copy))
    topo.config_copy.write_text(yaml.safe_dump(CONFIG))
    layout = plan(load_config(CONFIG), name)
    for role, netns in [*((h.id, h.netns) for h in layout.hosts.values()),
                        ("edge", layout.edge.netns)]:
        control = (sockets or {}).get(role, str(topo.directory / f"{role}.sock"))
        EngineSpec(role="edge" if role == "edge" else "host", host_id=role,
                   config_path=str(topo.config_copy), netns=netns, underlay_ip="192.0.2.1",
                   control_socket=control, flowlog_dir=str(topo.directory),
                   log_path=str(topo.log_path(role))).save(topo.spec_path(role))
    return topo


def _ghost_pid() -> tuple[int, int]:
    """A PID that runs, with a start time that is not its own: a recycled engine PID."""
    own = start_time(os.getpid())
    assert own is not None
    return os.getpid(), own + 1


def test_status_while_engines_are_dead(tmp_path: Path) -> None:
    name = _unused_name()
    topo = _fake_topology(name)
    pid, wrong_start = _ghost_pid()
    record_process(topo.state_path, "supervisor", pid, wrong_start, kind="supervisor")
    for role in ("host-1", "host-2", "edge"):
        record_process(topo.state_path, role, pid, wrong_start)
    engines = {role: {"pid": pid, "start_time": wrong_start, "state": "running", "restarts": 0,
                      "last_exit": None, "last_exit_at": None, "ready_after_s": 2.0}
               for role in ("host-2", "edge")}
    engines["host-1"] = {"pid": None, "start_time": None, "state": "gave_up", "restarts": 5,
                         "last_exit": "SIGSEGV", "last_exit_at": None, "ready_after_s": None}
    write_report(topo.directory, {"pid": pid, "engines": engines})
    result = runner.invoke(app, ["status", "--name", name])
    assert result.exit_code == 1 and "Traceback" not in result.output
    problems = result.stderr.strip().splitlines()
    assert len(problems) == 4, problems  # the supervisor and three engines, one line each
    assert any(line.startswith("engine host-1: gave up after 5 restarts within 60 s (last exit "
                               "SIGSEGV)") for line in problems)
    assert any("engine host-2: dead" in line for line in problems)
    assert any("supervisor" in line and "not running" in line for line in problems)
    assert "host-1" in result.stdout and "SIGSEGV" in result.stdout
    report = orch.status(topo)
    assert [h["engine_alive"] for h in report["hosts"]] == [False, False]
    assert report["hosts"][0]["restarts"] == 5 and report["hosts"][0]["last_exit"] == "SIGSEGV"


def test_status_json_carries_restarts_and_the_exit_reason() -> None:
    name = _unused_name()
    topo = _fake_topology(name)
    write_report(topo.directory, {"pid": 1, "engines": {"host-1": {
        "pid": None, "state": "restarting", "restarts": 2, "last_exit": "SIGKILL"}}})
    result = runner.invoke(app, ["status", "--name", name, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    host1 = next(h for h in report["hosts"] if h["id"] == "host-1")
    assert (host1["restarts"], host1["last_exit"], host1["engine_alive"]) == (2, "SIGKILL", False)
    assert host1["engine_state"] == "dead"  # no supervisor: nothing will restart it


def test_status_of_a_damaged_topology() -> None:
    name = _unused_name()
    topo = _fake_topology(name)
    topo.config_copy.unlink()
    _one_line_refusal(runner.invoke(app, ["status", "--name", name]), 1,
                      "incomplete or damaged", f"down --name {name}")
    topo.state_path.write_text("{not json")
    _one_line_refusal(runner.invoke(app, ["counters", "--name", name]), 1,
                      "incomplete or damaged")


@pytest.fixture()
def silent_engine(tmp_path: Path) -> Iterator[str]:
    """A control socket that accepts connections and never answers (a hung engine)."""
    path = str(tmp_path / "hung.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(path)
        sock.listen(8)
        yield path


def test_counters_while_an_engine_does_not_answer(silent_engine: str) -> None:
    name = _unused_name()
    _fake_topology(name, sockets={"host-1": silent_engine})
    result = runner.invoke(app, ["counters", "--name", name, "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3  # every engine named once: none of the fake ones answers
    assert any(line.startswith("engine host-1: not answering: no answer within") for line in lines)
    assert any(line.startswith("engine host-2: not answering: no control socket") for line in lines)
    assert set(json.loads(result.stdout)) == {"host-1", "host-2", "edge"}


def test_an_engine_started_by_hand_is_refused() -> None:
    name = _unused_name()
    topo = _fake_topology(name)
    supervisor = os.getpid()  # a live supervisor that is not the engine's parent
    record_process(topo.state_path, "supervisor", supervisor, start_time(supervisor),
                   kind="supervisor")
    line = _one_line_refusal(runner.invoke(app, ["engine", "--spec",
                                                 str(topo.spec_path("host-1"))]), 2,
                             "engine refused", f"supervisor (pid {supervisor})")
    assert "started by hand" in line
    orphan = Path(topo.directory.parent / "elsewhere" / "engine-host-1.json")
    orphan.parent.mkdir()
    orphan.write_text(topo.spec_path("host-1").read_text())
    _one_line_refusal(runner.invoke(app, ["engine", "--spec", str(orphan)]), 2,
                      "engine refused", "no topology")


@ROOT_ONLY
def test_down_twice() -> None:
    name = _unused_name()
    _fake_topology(name)
    first = runner.invoke(app, ["down", "--name", name])
    assert first.exit_code == 0 and f"{name}: removed" in first.stdout
    _one_line_refusal(runner.invoke(app, ["down", "--name", name]), 2,
                      f"no topology named '{name}' is up")


@ROOT_ONLY
def test_down_of_a_topology_with_a_damaged_state_file() -> None:
    name = _unused_name()
    topo = _fake_topology(name)
    topo.state_path.write_text("{not json")
    result = runner.invoke(app, ["down", "--name", name])
    assert result.exit_code == 0 and f"{name}: removed" in result.stdout, result.output
    assert not topo.directory.exists()
