"""Flow-log record fields and the version that introduced each (FL-R4, FL-R5).

`FIELD_VERSIONS` maps every known custom-format field name to its version; a record's
`version` is the highest version among its fields. `DEFAULT_FORMAT` is the fixed version-2
default format.
"""

from __future__ import annotations

DEFAULT_FORMAT: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip

_FIELDS_BY_VERSION: dict[int, tuple[str, ...]] = {
    2: DEFAULT_FORMAT,
    3: ("vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr"),
    4: ("region", "az-id", "sublocation-type", "sublocation-id"),
    5: ("pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"),
    7: (
        "ecs-cluster-arn",
        "ecs-cluster-name",
        "ecs-container-instance-arn",
        "ecs-container-instance-id",
        "ecs-container-id",
        "ecs-second-container-id",
        "ecs-service-name",
        "ecs-task-definition-arn",
        "ecs-task-arn",
        "ecs-task-id",
    ),  # fmt: skip
    8: ("reject-reason",),
    # FL-R5 "later": the version of encryption-status is not pinned down by the spec.
    9: ("encryption-status",),
}

FIELD_VERSIONS: dict[str, int] = {
    name: version for version, names in _FIELDS_BY_VERSION.items() for name in names
}


def record_version(fields: list[str] | tuple[str, ...]) -> int:
    """FL-R5: the version of a format is the highest version among its fields."""
    return max(FIELD_VERSIONS[name] for name in fields)
