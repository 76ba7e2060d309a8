"""Scenario files are checked whole against the schema before anything runs.

`schema_corpus/` holds one bad file per kind of mistake; its first lines say what the
refusal must name: `# expect:` (the field path and message), `# scenario:` (the scenario
id) and `# line:` (where in the file). The shared aws-vpc.yaml must pass as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from smartnic.cli.main import app
from smartnic.scenarios.runner import ScenarioFileError, load_scenario_file, run_file
from smartnic.scenarios.schema import MAX_COUNT_PER_SEND, check_document

CORPUS = sorted((Path(__file__).parent / "schema_corpus").glob("*.yaml"))
# Beside the checkout (../shared), else the machine's shared directory (worktrees).
SHARED = next((path for path in (
    Path(__file__).resolve().parents[2].parent / "shared" / "scenarios" / "aws-vpc.yaml",
    Path("/work/shared/scenarios/aws-vpc.yaml")) if path.exists()), Path("aws-vpc.yaml"))
HEADER = re.compile(r"^# (expect|scenario|line): (.*)$", re.M)


def _header(path: Path) -> dict[str, str]:
    return dict(HEADER.findall(path.read_text()))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_file_is_refused_naming_file_line_scenario_and_field(path: Path) -> None:
    wanted = _header(path)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert wanted["expect"] in message
    if "line" in wanted:
        assert message.startswith(f"{path}:{wanted['line']}: "), message
    if "scenario" in wanted:
        assert f"scenario {wanted['scenario']}: " in message


def test_corpus_covers_every_kind_of_mistake() -> None:
    assert len(CORPUS) >= 25


@pytest.mark.skipif(not SHARED.exists(),
                    reason=f"no acceptance file beside this checkout ({SHARED})")
def test_shared_file_passes_the_schema_as_it_is() -> None:
    document = load_scenario_file(SHARED)
    checked = check_document(document)
    assert len(checked.scenarios) == len(document["scenarios"])


def test_run_file_checks_the_document_before_running_anything() -> None:
    document = {"scenarios": [{"id": "X-1", "steps": [
        {"advance": 5, "expect": {"result": "applied"}},
        {"at": 1, "advance": 1, "expect": {"result": "applied"}}]}]}
    with pytest.raises(ScenarioFileError, match=r"scenario X-1: steps\[1\]\.at: `at` goes back"):
        run_file(document)


def test_limits_are_inclusive() -> None:
    send = {"from": "eni-1", "dst": "10.0.1.10", "proto": "udp", "count": MAX_COUNT_PER_SEND}
    document = {"scenarios": [{"id": "X-1", "steps": [
        {"send": send, "expect": {"result": "partial", "delivered_count": ">=1"}}]}]}
    check_document(document)


def test_a_number_too_long_for_python_is_a_refusal_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "digits.yaml"
    path.write_text("schema_version: 1\nscenarios:\n- id: X-1\n  steps:\n  - advance: "
                    + "9" * 5000 + "\n    expect: {result: applied}\n")
    with pytest.raises(ScenarioFileError, match="digits.yaml"):
        load_scenario_file(path)


def test_cli_refuses_a_bad_file_with_exit_status_2_and_one_line(tmp_path: Path) -> None:
    bad = next(p for p in CORPUS if p.stem == "count_over_limit")
    result = CliRunner().invoke(app, ["scenarios", "run", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "steps[0].send.count" in result.output.replace("\n", "")


def _document(*scenarios: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "scenarios": list(scenarios)}


def test_defaults_follow_the_runner() -> None:
    """Omitted `at`, `proto`, `count`, tags, refs and confidence are valid (sends.py and
    the runner supply the defaults)."""
    step = {"send": {"from": "eni-1", "dst": "10.0.1.10"}, "expect": {"result": "delivered"}}
    checked = check_document(_document({"id": "X-1", "steps": [step, step]}))
    assert checked.scenarios[0].steps[0].send is not None
    assert checked.scenarios[0].steps[0].send.proto == "tcp"


def test_yaml_written_by_the_tests_round_trips() -> None:
    doc = _document({"id": "X-1", "steps": [{"patch": {}, "expect": {"result": "applied"}}]})
    check_document(yaml.safe_load(yaml.safe_dump(doc)))
