"""The scenario file's configs: every topology and scenario config loads; VAL-* patches and
API steps are refused or applied as the scenarios expect (reason phrases included)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from model_support import SCENARIO_FILES

from smartnic.model import ConfigError, apply_api, deep_merge, load_config


def _scenarios() -> list[dict[str, Any]]:
    for path in SCENARIO_FILES:
        if path.exists():
            return list(yaml.safe_load(path.read_text())["scenarios"])
    return []


SCENARIOS = _scenarios()
CONFIG_STEPS = [s for s in SCENARIOS if any("patch" in st or "api" in st for st in s["steps"])]


def test_all_topologies_load(scenario_document: dict[str, Any]) -> None:
    for name, topology in scenario_document["topologies"].items():
        config = load_config(topology)
        assert config.enis, name
        assert sorted(e for h in config.hosts for e in h.enis) == sorted(e.id for e in config.enis)


def test_every_scenario_config_loads(scenario_document: dict[str, Any]) -> None:
    for scenario in scenario_document["scenarios"]:
        topology = scenario_document["topologies"].get(scenario.get("topology"), {})
        load_config(deep_merge(topology, scenario.get("config") or {}))


def _apply_step(current: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    if "patch" in step:
        updated = deep_merge(current, step["patch"])
    else:
        updated = apply_api(current, step["api"]["op"], step["api"].get("params") or {})
    load_config(updated)
    return updated


@pytest.mark.parametrize("scenario", CONFIG_STEPS, ids=[s["id"] for s in CONFIG_STEPS])
def test_config_steps_behave_as_expected(
    scenario: dict[str, Any], scenario_document: dict[str, Any]
) -> None:
    topology = scenario_document["topologies"].get(scenario.get("topology"), {})
    current = deep_merge(topology, scenario.get("config") or {})
    for step in scenario["steps"]:
        if "patch" not in step and "api" not in step:
            continue
        expect = step["expect"]
        if expect["result"] == "config_error":
            with pytest.raises(ConfigError) as caught:
                _apply_step(current, step)
            assert expect.get("reason", "") in str(caught.value)
        else:
            assert expect["result"] == "applied"
            current = _apply_step(current, step)  # a refused patch leaves the config unchanged
