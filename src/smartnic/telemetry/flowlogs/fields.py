"""The flow-log field table (FL-R5), the default format (FL-R4) and format parsing.

Inputs: a format as AWS accepts it — `None`/"default", a `LogFormat` string such as
"${version} ${srcaddr} ${dstaddr}", or a sequence of field names.
Outputs: a tuple of field names in record order, and the record `version` (the highest
version among the chosen fields, FL-R5).

Example:
    >>> parse_log_format("${srcaddr} ${tcp-flags}")
    ('srcaddr', 'tcp-flags')
    >>> format_version(("srcaddr", "tcp-flags"))
    3
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# FL-R4: the default format, in its fixed order (all version-2 fields).
DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)

_ECS_FIELDS: tuple[str, ...] = (
    "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn",
    "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id",
    "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id",
)

# FL-R5: every field and the flow-log version that introduced it, in the AWS table's order.
# The spec marks 7 (ECS) and 8 (reject-reason) as unverified and gives encryption-status
# only as "later"; 10 is our assumption for it.
FIELD_VERSIONS: dict[str, int] = {
    **dict.fromkeys(DEFAULT_FIELDS, 2),
    **dict.fromkeys(
        ("vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr",
         "pkt-dstaddr"), 3),
    **dict.fromkeys(("region", "az-id", "sublocation-type", "sublocation-id"), 4),
    **dict.fromkeys(
        ("pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"), 5),
    **dict.fromkeys(_ECS_FIELDS, 7),
    "reject-reason": 8,
    "encryption-status": 10,
}

ALL_FIELDS: tuple[str, ...] = tuple(FIELD_VERSIONS)

_LOG_FORMAT_TOKEN = re.compile(r"\$\{([a-z0-9-]+)\}")


def format_version(fields: Sequence[str]) -> int:
    """FL-R5: a record's `version` is the highest version among the chosen fields."""
    return max(FIELD_VERSIONS[name] for name in fields)


def check_fields(fields: Sequence[str], owner: str) -> None:
    """Raise ValueError naming `owner` unless `fields` is a non-empty list of known fields."""
    if not fields:
        raise ValueError(f"{owner}: a flow-log format needs at least one field (FL-R5)")
    unknown = [name for name in fields if name not in FIELD_VERSIONS]
    if unknown:
        raise ValueError(f"{owner}: unknown flow-log field(s) {unknown} (FL-R5)")
    duplicated = sorted({name for name in fields if fields.count(name) > 1})
    if duplicated:
        raise ValueError(f"{owner}: flow-log field(s) {duplicated} listed twice")


def parse_log_format(log_format: str | Sequence[str] | None) -> tuple[str, ...]:
    """Turn an AWS `LogFormat` (string, list, or None/"default") into a field tuple."""
    if log_format is None or log_format == "default":
        return DEFAULT_FIELDS
    if isinstance(log_format, str):
        fields = tuple(_LOG_FORMAT_TOKEN.findall(log_format))
        leftover = _LOG_FORMAT_TOKEN.sub("", log_format).strip()
        if leftover:
            raise ValueError(f"log format: unexpected text {leftover!r} (want '${{field}} ...')")
    else:
        fields = tuple(log_format)
    check_fields(fields, "log format")
    return fields
