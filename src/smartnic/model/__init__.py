"""The desired state of the cloud: parse, normalize and validate configs (native YAML, AWS
describe-* JSON, EC2 API actions) into a frozen, complete `Config`.

Public API: `load_config(dict)`, `load_config_file(path)`, `load_aws_directory(path)`,
`apply_api(config_dict, op, params)`, `deep_merge(base, override)`, `ConfigError`, and the
model classes of `model.config`.
"""

from smartnic.model.aws_json import load_aws_directory
from smartnic.model.config import (
    Config,
    ConntrackSettings,
    Eni,
    EniLimits,
    FlowLog,
    Frozen,
    Gateway,
    Host,
    Nacl,
    NaclRule,
    Peering,
    PrefixList,
    Protocol,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)
from smartnic.model.ec2_api import apply_api
from smartnic.model.errors import ConfigError
from smartnic.model.load import load_config, load_config_file
from smartnic.model.merge import deep_merge

__all__ = [
    "Config",
    "ConfigError",
    "ConntrackSettings",
    "Eni",
    "EniLimits",
    "FlowLog",
    "Frozen",
    "Gateway",
    "Host",
    "Nacl",
    "NaclRule",
    "Peering",
    "PrefixList",
    "Protocol",
    "Route",
    "RouteTable",
    "SecurityGroup",
    "SgRule",
    "Subnet",
    "Vpc",
    "apply_api",
    "deep_merge",
    "load_aws_directory",
    "load_config",
    "load_config_file",
]
