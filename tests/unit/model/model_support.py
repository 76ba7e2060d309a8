"""Helpers of the model tests: a small valid config and a refusal check.

`base_config()` is one VPC (IPv4 + IPv6) with two subnets, one SG and one ENI. A test
states its case as a patch (scenario merge rules) over it; `refuse(...)` asserts the
ConfigError's object id, field and message phrase.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smartnic.model import ConfigError, load_config

SCENARIO_FILES = (
    Path(__file__).resolve().parents[3] / "tests" / "scenarios" / "aws-vpc.yaml",
    Path("/work/shared/scenarios/aws-vpc.yaml"),
)


def base_config() -> dict[str, Any]:
    return {
        "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"], "ipv6_cidrs": ["2001:db8:1::/56"]}],
        "subnets": [
            {
                "id": "subnet-1",
                "vpc": "vpc-a",
                "cidr": "10.0.1.0/24",
                "ipv6_cidr": "2001:db8:1:1::/64",
            },
            {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"},
        ],
        "security_groups": [{"id": "sg-a", "vpc": "vpc-a"}],
        "enis": [{"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.10"], "sgs": ["sg-a"]}],
    }


def refuse(data: dict[str, Any], object_id: str, field: str, phrase: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(data)
    error = caught.value
    assert (error.object_id, error.field) == (object_id, field), str(error)
    assert phrase in error.message, str(error)
    assert str(error) == f"{object_id}.{field}: {error.message}"
    return error
