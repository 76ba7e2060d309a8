"""Shared fixtures: a T1-like topology (aws-vpc.yaml `T1`) as a raw dict and as a Config.

T1: vpc-a 10.0.0.0/16 + 2001:db8:1234:1a00::/56; subnet-1 (eni-a .10, eni-b .20),
subnet-2 (eni-c .30), subnet-3 (eni-fw .40, source/destination check off); SGs with no
inbound rules and allow-all outbound; default NACL allowing everything (NACL-R10).
Placement is explicit: host-1 = eni-a + eni-fw, host-2 = eni-b, host-3 = eni-c.
Patches follow the scenario merge rules (`smartnic.model.deep_merge`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from smartnic.clock import VirtualClock
from smartnic.model import Config, deep_merge, load_config

_ALL_OUT = [{"proto": "all", "peer": "0.0.0.0/0"}, {"proto": "all", "peer": "::/0"}]
_ALLOW_ALL = [
    {"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"},
    {"n": 101, "action": "allow", "proto": "all", "cidr": "::/0"},
]

T1: dict[str, Any] = {
    "account_id": "123456789010",
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"], "ipv6_cidrs": ["2001:db8:1234:1a00::/56"],
              "default_sg": "sg-default", "default_nacl": "acl-default",
              "main_route_table": "rtb-main"}],
    "subnets": [
        {"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
         "ipv6_cidr": "2001:db8:1234:1a01::/64"},
        {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/24",
         "ipv6_cidr": "2001:db8:1234:1a02::/64"},
        {"id": "subnet-3", "vpc": "vpc-a", "cidr": "10.0.3.0/24"},
    ],
    "security_groups": [
        {"id": "sg-default", "vpc": "vpc-a", "default": True,
         "ingress": [{"proto": "all", "peer": "sg-default"}], "egress": _ALL_OUT},
        *({"id": sg, "vpc": "vpc-a", "ingress": [], "egress": _ALL_OUT}
          for sg in ("sg-a", "sg-b", "sg-c")),
        {"id": "sg-fw", "vpc": "vpc-a", "ingress": [{"proto": "all", "peer": "10.0.0.0/16"}],
         "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]},
    ],
    "nacls": [{"id": "acl-default", "vpc": "vpc-a", "ingress": _ALLOW_ALL, "egress": _ALLOW_ALL}],
    "route_tables": [{"id": "rtb-main", "vpc": "vpc-a", "main": True, "routes": []}],
    "enis": [
        {"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.10"],
         "ipv6": ["2001:db8:1234:1a01::10"], "sgs": ["sg-a"]},
        {"id": "eni-b", "subnet": "subnet-1", "ips": ["10.0.1.20"],
         "ipv6": ["2001:db8:1234:1a01::20"], "sgs": ["sg-b"]},
        {"id": "eni-c", "subnet": "subnet-2", "ips": ["10.0.2.30"],
         "ipv6": ["2001:db8:1234:1a02::30"], "sgs": ["sg-c"]},
        {"id": "eni-fw", "subnet": "subnet-3", "ips": ["10.0.3.40"], "sgs": ["sg-fw"],
         "src_dst_check": False},
    ],
    "hosts": [
        {"id": "host-1", "enis": ["eni-a", "eni-fw"]},
        {"id": "host-2", "enis": ["eni-b"]},
        {"id": "host-3", "enis": ["eni-c"]},
    ],
}


def t1(patch: dict[str, Any] | None = None) -> dict[str, Any]:
    """A fresh T1 dict, with `patch` merged over it."""
    raw = copy.deepcopy(T1)
    return deep_merge(raw, patch) if patch else raw


@pytest.fixture
def t1_raw() -> dict[str, Any]:
    return t1()


@pytest.fixture
def t1_config(t1_raw: dict[str, Any]) -> Config:
    return load_config(t1_raw)


@pytest.fixture(scope="session")
def build_t1() -> Callable[..., Config]:
    """`build_t1(patch)` -> validated Config; session-scoped so hypothesis tests may use it."""
    return lambda patch=None: load_config(t1(patch))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


# Tests that also run with numba's bounds checking on (NUMBA_BOUNDSCHECK=1, a second
# pytest run of `make test`, docs/architecture.md): every property test and the fuzzers
# that feed the kernels arbitrary bytes. New test modules may mark themselves instead.
BOUNDS_CHECKED = ("tests/property/", "tests/unit/packet/test_packet_fuzz.py",
                  "tests/unit/dataplane/test_engine_fuzz.py",
                  "tests/unit/fastpath/test_classify_", "tests/unit/ports/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(BOUNDS_CHECKED):
            item.add_marker(pytest.mark.boundscheck)
