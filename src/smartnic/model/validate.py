"""Validation of a normalized Config: references, overlaps, reserved addresses, quotas.

Input: a Config returned by `model.normalize.normalize`. Output: nothing when valid, else
the first ConfigError, checked in a fixed order (ids, then VPCs, subnets, peerings,
gateways, prefix lists, SGs, NACLs, route tables, ENIs, flow logs, hosts — each in config
order), so the same config always fails with the same message. The checks themselves live
in `check_network`, `check_rules`, `check_routes` and `check_enis`.
"""

from __future__ import annotations

from smartnic.model.check_enis import check_enis, check_flow_logs, check_hosts
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
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex

COLLECTIONS = (
    "vpcs", "subnets", "security_groups", "nacls", "route_tables", "prefix_lists", "peerings",
    "igws", "vgws", "enis", "flow_logs", "hosts",
)  # fmt: skip


def check_unique_ids(config: Config) -> None:
    """Ids are unique within each collection (run before normalization, which indexes by id)."""
    for collection in COLLECTIONS:
        seen: set[str] = set()
        for position, item in enumerate(getattr(config, collection)):
            if not item.id.strip():
                raise ConfigError(f"{collection}[{position}]", "id", "an id cannot be empty")
            if item.id in seen:
                raise ConfigError(item.id, "id", f"duplicate id in {collection}")
            seen.add(item.id)


def validate(config: Config) -> None:
    check_unique_ids(config)
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
