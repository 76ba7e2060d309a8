"""Ids: the right prefix for their kind, a safe charset, unique within their collection.

AWS ids carry their kind (`vpc-…`, `subnet-…`, `sg-…`, `acl-…`, `rtb-…`, `pl-…`, `pcx-…`,
`igw-…`, `vgw-…`, `eni-…`, `fl-…`; `sgr-…` for SG rules, `i-…` for instances; `tmt-…`,
`tmf-…`, `tms-…` for mirror targets, filters and sessions), and our error messages, flow-log
file names and references rely on it: an ENI called `sg-x` is refused. Hosts are ours and
take any id of the safe charset. After the prefix an id holds letters, digits, `.`, `_` and
`-` (no `/`, no blanks: ids become parts of file names), at most MAX_ID_CHARS in all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from smartnic.model.config import Config
from smartnic.model.errors import ConfigError

MAX_ID_CHARS = 128
ID_BODY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
ID_PREFIXES = {
    "vpcs": "vpc-", "subnets": "subnet-", "security_groups": "sg-", "nacls": "acl-",
    "route_tables": "rtb-", "prefix_lists": "pl-", "peerings": "pcx-", "igws": "igw-",
    "vgws": "vgw-", "enis": "eni-", "flow_logs": "fl-", "hosts": "",
}  # fmt: skip
MIRROR_PREFIXES = {"targets": "tmt-", "filters": "tmf-", "sessions": "tms-"}
RULE_ID_PREFIX = "sgr-"
INSTANCE_ID_PREFIX = "i-"


def id_problem(text: str, prefix: str) -> str | None:
    """Why `text` is not an id of the kind `prefix` names, or None when it is one."""
    if not text.startswith(prefix):
        return f"starts with {prefix!r} (AWS id of this kind)"
    if len(text) > MAX_ID_CHARS:
        return f"has at most {MAX_ID_CHARS} characters ({len(text)} given)"
    if not ID_BODY.fullmatch(text[len(prefix) :]):
        return f"is {prefix}<letters, digits, '.', '_', '-'>"
    return None


def check_id(text: str, prefix: str, object_id: str, field: str) -> None:
    problem = id_problem(text, prefix)
    if problem is not None:
        shown = text if len(text) <= 40 else f"{text[:40]}..."
        raise ConfigError(object_id, field, f"{shown!r} is not a valid id: an id {problem}")


def check_unique(ids: Iterable[tuple[str, str]], collection: str) -> None:
    """`ids`: (id, name of the object in errors) pairs of one collection."""
    seen: set[str] = set()
    for item_id, name in ids:
        if item_id in seen:
            raise ConfigError(name, "id", f"duplicate id in {collection}")
        seen.add(item_id)


def check_ids(config: Config) -> None:
    """Ids of every collection: non-empty, well formed, unique (before normalization)."""
    for collection, prefix in ID_PREFIXES.items():
        named: list[tuple[str, str]] = []
        for position, item in enumerate(getattr(config, collection)):
            name = item.id if item.id.strip() else f"{collection}[{position}]"
            if not item.id.strip():
                raise ConfigError(name, "id", "an id cannot be empty")
            check_id(item.id, prefix, name, "id")
            named.append((item.id, name))
        check_unique(named, collection)
    for eni in config.enis:
        if eni.instance_id is not None:
            check_id(eni.instance_id, INSTANCE_ID_PREFIX, eni.id, "instance_id")
    for sg in config.security_groups:
        for direction in ("ingress", "egress"):
            for position, rule in enumerate(getattr(sg, direction) or []):
                if rule.rule_id is not None:
                    field = f"{direction}[{position}].rule_id"
                    check_id(rule.rule_id, RULE_ID_PREFIX, sg.id, field)
