"""Validation of Traffic Mirroring objects (TM-R1..R3): ids, references, rules, quotas.

Input: a normalized Config (mirror CIDRs canonical) and its ConfigIndex. Output: nothing,
or the first ConfigError. Rules: ids `tmt-`, `tmf-`, `tms-`, unique; a target names an
existing ENI; a filter has at most 10 rules (TM-R2), rule numbers unique per direction,
source and destination CIDRs of one family, port ranges only for TCP/UDP; a session names
an existing source ENI, target and filter, never mirrors a source to itself (TM-R1), and
a source has at most 3 sessions with distinct numbers (TM-R3). Number, VNI and packet
length ranges are pydantic constraints (`model.mirror`).
"""

from __future__ import annotations

from collections import Counter

from smartnic.model.addressing import parse_cidr
from smartnic.model.check_ids import MIRROR_PREFIXES, check_id, check_unique
from smartnic.model.config import Config
from smartnic.model.errors import ConfigError
from smartnic.model.index import ConfigIndex
from smartnic.model.mirror import Mirror, MirrorFilter, MirrorRule
from smartnic.model.protocols import canonical_protocol, parse_ports

MAX_RULES_PER_FILTER = 10  # TM-R2
MAX_SESSIONS_PER_SOURCE = 3  # TM-R3


def check_mirror(config: Config, index: ConfigIndex) -> None:
    mirror = config.mirror
    if mirror is None:
        return
    _check_mirror_ids(mirror)
    for target in mirror.targets:
        if target.eni not in index.enis:
            raise ConfigError(target.id, "eni", f"unknown ENI {target.eni}")
    for mirror_filter in mirror.filters:
        _check_filter(mirror_filter)
    _check_sessions(mirror, index)


def _check_mirror_ids(mirror: Mirror) -> None:
    for collection, prefix in MIRROR_PREFIXES.items():
        items = getattr(mirror, collection)
        for item in items:
            check_id(item.id, prefix, item.id or f"mirror.{collection}", "id")
        check_unique(((item.id, item.id) for item in items), f"mirror.{collection}")


def _check_filter(mirror_filter: MirrorFilter) -> None:
    rules = len(mirror_filter.ingress) + len(mirror_filter.egress)
    if rules > MAX_RULES_PER_FILTER:
        raise ConfigError(mirror_filter.id, "ingress", "at most 10 rules per filter (TM-R2)")
    for direction in ("ingress", "egress"):
        numbers: set[int] = set()
        for position, rule in enumerate(getattr(mirror_filter, direction)):
            field = f"{direction}[{position}]"
            if rule.n in numbers:
                raise ConfigError(mirror_filter.id, f"{field}.n", f"duplicate rule number {rule.n}")
            numbers.add(rule.n)
            _check_rule(mirror_filter.id, field, rule)


def _check_rule(filter_id: str, field: str, rule: MirrorRule) -> None:
    src = parse_cidr(rule.src, filter_id, f"{field}.src")
    dst = parse_cidr(rule.dst, filter_id, f"{field}.dst")
    if src.version != dst.version:
        raise ConfigError(filter_id, f"{field}.dst", "src and dst must be of one IP family (TM-R2)")
    proto = (
        "all" if rule.proto is None else canonical_protocol(rule.proto, filter_id, f"{field}.proto")
    )
    for name in ("src_ports", "dst_ports"):
        ports = getattr(rule, name)
        if ports is None:
            continue
        if proto not in ("tcp", "udp"):
            raise ConfigError(filter_id, f"{field}.{name}", "port ranges are for TCP/UDP (TM-R2)")
        parse_ports(ports, filter_id, f"{field}.{name}")


def _check_sessions(mirror: Mirror, index: ConfigIndex) -> None:
    targets = {target.id: target for target in mirror.targets}
    filters = {mirror_filter.id for mirror_filter in mirror.filters}
    numbers: dict[tuple[str, int], str] = {}
    per_source: Counter[str] = Counter()
    for session in mirror.sessions:
        if session.source not in index.enis:
            raise ConfigError(session.id, "source", f"unknown ENI {session.source}")
        target = targets.get(session.target)
        if target is None:
            raise ConfigError(session.id, "target", f"unknown mirror target {session.target}")
        if target.eni == session.source:
            raise ConfigError(session.id, "target", "a source cannot be its own target (TM-R1)")
        if session.filter not in filters:
            raise ConfigError(session.id, "filter", f"unknown mirror filter {session.filter}")
        key = (session.source, session.number)
        if key in numbers:
            raise ConfigError(
                session.id, "number", f"{session.source} already has number {session.number} "
                f"in {numbers[key]} (TM-R3)",
            )
        numbers[key] = session.id
        per_source[session.source] += 1
        if per_source[session.source] > MAX_SESSIONS_PER_SOURCE:
            raise ConfigError(session.id, "source", "at most 3 sessions per source ENI (TM-R3)")
