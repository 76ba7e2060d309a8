"""The command line: trace, scenarios run, validate, flowlogs, demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from smartnic.cli.main import app

runner = CliRunner()
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "scenarios" / "aws-vpc.yaml"

CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"},
                {"id": "subnet-2", "vpc": "vpc-1", "cidr": "10.0.2.0/24"}],
    "security_groups": [{"id": "sg-1", "vpc": "vpc-1", "ingress": [
        {"proto": "tcp", "ports": "22", "peer": "10.0.1.0/24"}]}],
    "enis": [{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"], "sgs": ["sg-1"]},
             {"id": "eni-2", "subnet": "subnet-2", "ips": ["10.0.2.10"], "sgs": ["sg-1"]}],
    "flow_logs": [{"id": "fl-1", "resource": "vpc-1", "interval": 60}],
}


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


def test_trace_json_delivered_names_the_rule(config_file: Path) -> None:
    result = runner.invoke(app, ["trace", "--config", str(config_file), "--from", "eni-1",
                                 "--dst", "10.0.2.10", "--proto", "tcp", "--dport", "22",
                                 "--flags", "S", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["result"] == "delivered" and data["to"] == "eni-2" and data["stage"] is None
    sg_hops = [h for h in data["hops"] if h["stage"] == "dst_sg_ingress"]
    assert sg_hops and "tcp 22 from 10.0.1.0/24" in sg_hops[0]["rule"]


def test_trace_json_dropped_reports_the_stage(config_file: Path) -> None:
    result = runner.invoke(app, ["trace", "--config", str(config_file), "--from", "eni-2",
                                 "--dst", "10.0.1.10", "--proto", "tcp", "--dport", "22",
                                 "--json"])
    data = json.loads(result.output)
    assert (data["result"], data["stage"], data["to"]) == ("dropped", "dst_sg_ingress", None)


def test_trace_packets_share_connection_state(config_file: Path, tmp_path: Path) -> None:
    packets = tmp_path / "packets.yaml"
    packets.write_text(yaml.safe_dump([
        {"send": {"from": "eni-1", "dst": "10.0.2.10", "proto": "tcp", "sport": 40000,
                  "dport": 22, "flags": "S"}},
        {"send": {"from": "eni-2", "dst": "10.0.1.10", "proto": "tcp", "sport": 22,
                  "dport": 40000, "flags": "SA"}},
    ]))
    result = runner.invoke(app, ["trace", "--config", str(config_file), "--packets",
                                 str(packets), "--json"])
    data = json.loads(result.output)
    # sg-1 admits no inbound port 40000: only connection tracking lets the SYN-ACK in.
    assert [d["result"] for d in data] == ["delivered", "delivered"]
    assert any(h["rule"] == "conntrack" for h in data[1]["hops"])


def test_trace_table_output(config_file: Path) -> None:
    result = runner.invoke(app, ["trace", "--config", str(config_file), "--from", "eni-1",
                                 "--dst", "10.0.2.10", "--dport", "22"])
    assert result.exit_code == 0
    assert "dst_sg_ingress" in result.output and "delivered" in result.output


def test_validate_refuses_naming_object_and_field(tmp_path: Path) -> None:
    bad = dict(CONFIG, enis=[{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.3"]}])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "eni-1" in result.output and "reserved address" in result.output


def test_trace_refuses_bad_config_with_status_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(dict(CONFIG, subnets=[
        {"id": "subnet-1", "vpc": "vpc-9", "cidr": "10.0.1.0/24"}])))
    result = runner.invoke(app, ["trace", "--config", str(path), "--from", "eni-1",
                                 "--dst", "10.0.2.10"])
    assert result.exit_code == 2


def test_flowlogs_replay_prints_records(config_file: Path, tmp_path: Path) -> None:
    packets = tmp_path / "p.yaml"
    packets.write_text(yaml.safe_dump([{"from": "eni-1", "dst": "10.0.2.10", "proto": "tcp",
                                        "sport": 40000, "dport": 22, "flags": "S"}]))
    out = tmp_path / "delivered"
    result = runner.invoke(app, ["flowlogs", "--config", str(config_file), "--packets",
                                 str(packets), "--deliver", str(out)])
    assert result.exit_code == 0, result.output
    assert "eni-2 10.0.1.10 10.0.2.10 40000 22 6 1" in result.output
    assert list(out.rglob("*.log.gz"))
    read = runner.invoke(app, ["flowlogs", "--read", str(out)])
    assert "eni-1 10.0.1.10 10.0.2.10 40000 22 6 1" in read.output


@pytest.mark.skipif(not SHARED.exists(), reason="shared scenario file not present")
def test_scenarios_run_prints_summary_and_exit_status() -> None:
    result = runner.invoke(app, ["scenarios", "run", str(SHARED), "--tag", "nacl"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 0
    assert lines[-1].endswith("0 failed, 0 skipped")
    assert all(line.split()[0] in ("PASS", "FAIL", "SKIP") for line in lines[:-1])


def test_scenarios_run_fails_on_mismatch(tmp_path: Path) -> None:
    document = {"schema_version": 1, "topologies": {"T": CONFIG}, "scenarios": [
        {"id": "X-1", "title": "wrong", "topology": "T", "steps": [
            {"send": {"from": "eni-2", "dst": "10.0.1.10", "dport": 22},
             "expect": {"result": "delivered", "to": "eni-1"}}]}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(document))
    result = runner.invoke(app, ["scenarios", "run", str(path), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["summary"] == "0 passed, 1 failed, 0 skipped"
    assert "dst_sg_ingress" in data["results"][0]["message"]


def test_demo_runs_and_writes_pcap_and_logs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "delivered" in result.output and "dropped" in result.output
    assert (tmp_path / "underlay.pcap").stat().st_size > 24
    assert list((tmp_path / "flowlogs").rglob("*.log.gz"))
