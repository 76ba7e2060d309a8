"""Properties: any mutation of a valid config loads or raises ConfigError (never another
exception); a loaded config reloads to itself; EC2 API calls with arbitrary parameters
either apply or raise ConfigError."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_support import SCENARIO_FILES, base_config

from smartnic.model import Config, ConfigError, apply_api, load_config
from smartnic.model.ec2_api import HANDLERS


def _topologies() -> list[dict[str, Any]]:
    for path in SCENARIO_FILES:
        if path.exists():
            return list(yaml.safe_load(path.read_text())["topologies"].values())
    return []


SEEDS = [base_config(), *_topologies()]

INTERESTING_TEXT = [
    "", "all", "tcp", "icmp", "icmpv6", "-1", "22", "80-70", "0-65535", "10.0.1.0/24",
    "10.0.1.10", "10.0.0.0/15", "169.254.169.254/32", "::/0", "2001:db8:1234:1a01::/64",
    "fd00:ec2::/48", "sg-default", "sg-a", "pl-1", "123456789010/sg-a", "eni-a", "eni-zz",
    "subnet-1", "vpc-a", "vpc-b", "rtb-main", "acl-default", "igw-1", "local", "0.0.0.0/0",
    "02:00:00:00:00:01", "not a cidr", "default",
]  # fmt: skip
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-70000, max_value=70000)
    | st.sampled_from(INTERESTING_TEXT)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "x", "n"]), inner, max_size=2)
    ),
    max_leaves=4,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            found += _paths(value, (*prefix, position))
    return found


def _mutate(data: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> None:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    elif isinstance(parent, dict):
        parent[f"{last}_extra"] = value


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "extra"]))
        _mutate(data, path, action, draw(VALUES))
    return data


def _load_or_refuse(data: dict[str, Any]) -> Config | None:
    try:
        return load_config(data)
    except ConfigError as error:
        assert error.object_id and error.field and str(error).startswith(f"{error.object_id}.")
        return None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_mutated_configs_load_or_raise_config_error(data: dict[str, Any]) -> None:
    config = _load_or_refuse(data)
    if config is not None:
        assert load_config(config.model_dump(exclude_none=True)) == config


@pytest.mark.parametrize("seed", SEEDS)
def test_loaded_configs_reload_to_themselves(seed: dict[str, Any]) -> None:
    config = load_config(seed)
    assert load_config(config.model_dump(exclude_none=True)) == config
    assert load_config(seed) == config  # deterministic


API_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "RouteTableId",
            "DestinationCidrBlock",
            "GatewayId",
            "NetworkInterfaceId",
            "InstanceId",
            "GroupId",
            "IpPermissions",
            "CidrIp",
            "IpProtocol",
            "FromPort",
            "ToPort",
            "NetworkAclId",
            "RuleNumber",
            "Protocol",
            "RuleAction",
            "Egress",
            "CidrBlock",
            "PortRange",
            "IcmpTypeCode",
            "AssociationId",
            "SourceDestCheck",
            "Groups",
            "PrivateIpAddresses",
            "AllowReassignment",
            "SecondaryPrivateIpAddressCount",
            "LocalTarget",
            "SecurityGroupRuleIds",
        ]
    ),  # fmt: skip
    VALUES,
    max_size=6,
)


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(sorted(HANDLERS)), API_PARAMS)
def test_api_calls_apply_or_raise_config_error(op: str, params: dict[str, Any]) -> None:
    try:
        result = apply_api(base_config(), op, params)
    except ConfigError:
        return
    _load_or_refuse(result)
