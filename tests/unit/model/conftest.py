"""Fixtures of the model tests (helpers live in `model_support`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from model_support import SCENARIO_FILES, base_config, refuse

from smartnic.model import Config, ConfigError, deep_merge, load_config


@pytest.fixture
def refused() -> Callable[[dict[str, Any], str, str, str], ConfigError]:
    def check(patch: dict[str, Any], object_id: str, field: str, phrase: str) -> ConfigError:
        return refuse(deep_merge(base_config(), patch), object_id, field, phrase)

    return check


@pytest.fixture
def accepted() -> Callable[[dict[str, Any]], Config]:
    return lambda patch: load_config(deep_merge(base_config(), patch))


@pytest.fixture(scope="session")
def scenario_document() -> dict[str, Any]:
    for path in SCENARIO_FILES:
        if path.exists():
            return yaml.safe_load(path.read_text())
    pytest.skip("aws-vpc.yaml scenario file not found")
