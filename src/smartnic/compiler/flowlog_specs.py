"""Flow-log definitions resolved to the ENIs they cover (FL-R1) and per-ENI record context."""

from __future__ import annotations

from smartnic.compiler.cidr import format_ip
from smartnic.compiler.views import EniView, SubnetView
from smartnic.model.config import Config
from smartnic.telemetry.flowlogs import DEFAULT_FIELDS, EniLogContext, FlowLogSpec


def compile_flow_log_specs(
    config: Config, enis: dict[str, EniView], subnets: dict[str, SubnetView]
) -> tuple[FlowLogSpec, ...]:
    specs = []
    for flow_log in config.flow_logs:
        covered = frozenset(
            eni.id for eni in enis.values()
            if flow_log.resource in (eni.id, eni.subnet_id, eni.vpc_id)
        )
        fields = DEFAULT_FIELDS if flow_log.format == "default" else tuple(flow_log.format)
        specs.append(FlowLogSpec(flow_log.id, covered, flow_log.traffic, fields,
                                 flow_log.interval))
    return tuple(specs)


def eni_log_contexts(
    config: Config, enis: dict[str, EniView], subnets: dict[str, SubnetView]
) -> dict[str, EniLogContext]:
    return {
        eni.id: EniLogContext(
            eni_id=eni.id,
            account_id=config.account_id,
            vpc_id=eni.vpc_id,
            subnet_id=eni.subnet_id,
            instance_id=eni.instance_id,
            primary_ipv4=format_ip(4, eni.primary_ipv4),
            addresses=frozenset(eni.addresses_text()),
            region=config.region,
            az_id=_az(config, eni.subnet_id),
        )
        for eni in enis.values()
    }


def _az(config: Config, subnet_id: str) -> str | None:
    return next((s.availability_zone_id for s in config.subnets if s.id == subnet_id), None)
