"""The scenario runner itself: failures are reported, refused patches change nothing."""

from __future__ import annotations

from typing import Any

from smartnic.scenarios.runner import run_file, skip_reason, summary

TOPOLOGY: dict[str, Any] = {
    "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-1", "cidr": "10.0.1.0/24"},
                {"id": "subnet-2", "vpc": "vpc-1", "cidr": "10.0.2.0/24"}],
    "security_groups": [{"id": "sg-1", "vpc": "vpc-1", "ingress": [
        {"proto": "tcp", "ports": "80", "peer": "10.0.0.0/16"}]}],
    "enis": [{"id": "eni-1", "subnet": "subnet-1", "ips": ["10.0.1.10"], "sgs": ["sg-1"]},
             {"id": "eni-2", "subnet": "subnet-2", "ips": ["10.0.2.10"], "sgs": ["sg-1"]}],
}
SEND_80 = {"from": "eni-1", "dst": "10.0.2.10", "proto": "tcp", "dport": 80, "flags": "S"}


def _document(*scenarios: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "topologies": {"T": TOPOLOGY}, "scenarios": list(scenarios)}


def test_wrong_expectation_fails_with_the_first_mismatch() -> None:
    scenario = {"id": "X-1", "title": "t", "topology": "T", "steps": [
        {"send": SEND_80, "expect": {"result": "dropped", "stage": "dst_sg_ingress"}}]}
    [result] = run_file(_document(scenario))
    assert result.status == "FAIL"
    assert "step 1: expected dropped, got delivered" in result.message


def test_refused_patch_leaves_running_config() -> None:
    bad_patch = {"security_groups": [{"id": "sg-1", "ingress": [
        {"proto": "tcp", "ports": "70000", "peer": "10.0.0.0/16"}]}]}
    scenario = {"id": "X-2", "title": "t", "topology": "T", "steps": [
        {"patch": bad_patch, "expect": {"result": "config_error"}},
        {"send": SEND_80, "expect": {"result": "delivered", "to": "eni-2"}}]}
    [result] = run_file(_document(scenario))
    assert result.status == "PASS", result.message


def test_skips_only_undocumented_and_unbuilt_features() -> None:
    assert skip_reason({"confidence": "undocumented", "tags": []})
    assert skip_reason({"confidence": "documented", "tags": ["mirror"]})
    assert skip_reason({"confidence": "documented", "tags": ["allowance", "sg"]}) is None


def test_tag_filter_and_summary() -> None:
    passing = {"id": "X-3", "title": "t", "topology": "T", "tags": ["sg"], "steps": [
        {"send": SEND_80, "expect": {"result": "delivered", "to": "eni-2"}}]}
    other = {"id": "X-4", "title": "t", "topology": "T", "tags": ["nacl"], "steps": [
        {"send": SEND_80, "expect": {"result": "dropped", "stage": "dst_sg_ingress"}}]}
    results = run_file(_document(passing, other), ["sg"])
    assert [r.id for r in results] == ["X-3"]
    assert summary(results) == "1 passed, 0 failed, 0 skipped"
