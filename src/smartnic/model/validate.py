"""Validation of a normalized Config: ids, references, overlaps, reserved addresses, quotas.

Input: a Config returned by `model.normalize.normalize`. Output: nothing when valid, else
the first ConfigError, checked in a fixed order (ids, then VPCs, subnets, peerings,
gateways, prefix lists, SGs, NACLs, route tables, ENIs, flow logs, hosts, mirroring — each
in config order), so the same config always fails with the same message. The checks live
in `check_ids`, `check_network`, `check_rules`, `check_routes`, `check_enis` and
`check_mirror`; single-field ranges are pydantic constraints of `model.config`.

`validate` is the one gate every config passes (`model.load.load_config` ends in it, and
`validate`, `up`, the engines, the scenario runner and the EC2 API actions all load
through `load_config`).
"""

from __future__ import annotations

from smartnic.model.check_enis import check_enis, check_flow_logs, check_hosts
from smartnic.model.check_ids import check_ids
from smartnic.model.check_mirror import check_mirror
from smartnic.model.check_network import (
    check_gateways,
    check_peerings,
    check_prefix_lists,
    check_subnets,
    check_vpcs,
)
from smartnic.model.check_routes import check_route_tables
from smartnic.model.check_rules import check_nacls, check_security_groups
from smartnic.model.config import Config
from smartnic.model.index import ConfigIndex

__all__ = ["check_ids", "validate"]


def validate(config: Config) -> None:
    check_ids(config)
    index = ConfigIndex.of(config)
    check_vpcs(config, index)
    check_subnets(config, index)
    check_peerings(config, index)
    check_gateways(config, index)
    check_prefix_lists(config)
    check_security_groups(config, index)
    check_nacls(config, index)
    check_route_tables(config, index)
    check_enis(config, index)
    check_flow_logs(config, index)
    check_hosts(config, index)
    check_mirror(config, index)
