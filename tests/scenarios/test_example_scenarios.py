"""The scenario file shipped in examples/ (README's first one) passes, scenario by scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartnic.scenarios.runner import load_scenario_file, run_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "scenarios.yaml"
DOCUMENT = load_scenario_file(EXAMPLE)


@pytest.mark.parametrize("scenario", DOCUMENT["scenarios"], ids=lambda s: s["id"])
def test_example_scenario(scenario: dict) -> None:  # type: ignore[type-arg]
    result = run_scenario(scenario, DOCUMENT.get("topologies") or {})
    assert result.status == "PASS", result.message
