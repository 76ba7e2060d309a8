"""Helpers of the EC2 API tests: a config with a custom route table and NACL, and shortcuts
to apply an action and load the result or to expect a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from model_support import base_config

from smartnic.model import Config, ConfigError, apply_api, load_config


def api_config() -> dict[str, Any]:
    data = base_config()
    data["enis"].append(
        {
            "id": "eni-b",
            "subnet": "subnet-1",
            "ips": ["10.0.1.20", "10.0.1.21"],
            "instance_id": "i-b",
        }
    )
    data["route_tables"] = [
        {"id": "rtb-1", "vpc": "vpc-a", "routes": [{"dst": "0.0.0.0/0", "target": "igw-1"}]}
    ]
    data["nacls"] = [{"id": "acl-1", "vpc": "vpc-a"}]
    return data


def apply_and_load(op: str, params: dict[str, Any], data: dict[str, Any] | None = None) -> Config:
    return load_config(apply_api(api_config() if data is None else data, op, params))


def api_refused(op: str, params: dict[str, Any], phrase: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        apply_api(api_config(), op, params)
    assert phrase in str(caught.value)
    return caught.value


def table_routes(config: Config, table_id: str) -> list[tuple[str, str]]:
    table = next(t for t in config.route_tables if t.id == table_id)
    return [(route.dst, route.target) for route in table.routes]


def security_group(config: Config, sg_id: str) -> Any:
    return next(sg for sg in config.security_groups if sg.id == sg_id)
