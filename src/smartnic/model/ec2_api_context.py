"""Shared state and parameter helpers of the EC2 API actions (`model.ec2_api`).

`ApiContext` pairs the plain config dict being edited (`raw`) with the validated Config of
that dict (`current`), which supplies what the dict leaves implicit: auto-created default
objects, default SG rules, canonical CIDRs, VPC membership. `editable` returns the dict of
an object to edit, first copying it from `current` into `raw` when the dict only implies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smartnic.model.config import Config, Vpc
from smartnic.model.errors import ConfigError


@dataclass
class ApiContext:
    op: str
    raw: dict[str, Any]
    current: Config

    def editable(self, collection: str, object_id: Any, param: str) -> dict[str, Any]:
        items: list[dict[str, Any]] = self.raw.setdefault(collection, [])
        current = next((o for o in getattr(self.current, collection) if o.id == object_id), None)
        if current is None:
            raise ConfigError(str(object_id), param, f"{self.op}: unknown id {object_id}")
        implied = current.model_dump(exclude_none=True)
        for item in items:
            if isinstance(item, dict) and item.get("id") == object_id:
                for key, value in implied.items():
                    if key in ("ingress", "egress") and item.get(key) is None:
                        item[key] = value  # SG rule lists the dict left implicit
                return item
        items.append(implied)
        return implied

    def vpc_of(self, collection: str, object_id: str) -> Vpc:
        owner = next(o for o in getattr(self.current, collection) if o.id == object_id)
        vpc_id = owner.vpc if hasattr(owner, "vpc") else self.subnet_vpc_id(owner.subnet)
        return next(vpc for vpc in self.current.vpcs if vpc.id == vpc_id)

    def subnet_vpc_id(self, subnet_id: str) -> str:
        return next(subnet.vpc for subnet in self.current.subnets if subnet.id == subnet_id)


def required(params: dict[str, Any], name: str, op: str) -> Any:
    value = params.get(name)
    if value is None:
        raise ConfigError(op, name, f"{op} needs the parameter {name}")
    return value


def as_bool(value: Any, op: str, name: str) -> bool:
    """EC2 booleans: a bool, 'true'/'false', or an AttributeBooleanValue {Value: bool}."""
    if isinstance(value, dict):
        value = value.get("Value")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(op, name, f"expected a boolean, not {value!r}")
