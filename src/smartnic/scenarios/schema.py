"""The scenario file schema (schema_version 1) as strict pydantic models, checked whole.

These models are the schema (examples/scenarios.yaml introduces it). `check_document`
refuses, before anything runs: unknown keys, wrong types (a bool is not a number, a
number is finite), scenarios without steps, a step with zero or two actions
(send | patch | api | advance), duplicate scenario ids, unknown topology names, an `at`
earlier than the step before it (after that step's `advance` or `spread`), a negative
`advance`, `count` above MAX_COUNT_PER_SEND or more than MAX_PACKETS_PER_SCENARIO packets in
one scenario, unknown `expect` keys, result values that cannot follow the step's action
(a send is delivered / dropped / partial; a patch or api call applied / config_error; an
advance applied), `dropped` without its `stage`, and stages not in the file's `stages`.

Limits (ours, chosen so one scenario stays seconds and megabytes, not minutes and
gigabytes): a send step sends at most 100,000 packets, a scenario at most 200,000; virtual
times stay below 10^9 s (31 years; float seconds keep microseconds there).

Errors: `SchemaError(path, message)`, `path` the field path from the document root
(`scenarios`, index, `steps`, index, ...) and `scenario_id` when it is inside a scenario.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from smartnic.scenarios.schema_expect import (
    RESULTS_OF_CHANGE,
    RESULTS_OF_SEND,
    Expect,
    Port,
    Strict,
)
from smartnic.scenarios.sends import SendError, check_send

SCHEMA_VERSION = 1
MAX_COUNT_PER_SEND = 100_000
MAX_PACKETS_PER_SCENARIO = 200_000
MAX_TIME_S = 1e9
DEFAULT_STEP_GAP_S = 0.001  # a step without `at` comes 1 ms after the previous one
DEFAULT_STAGES = (
    "src_dst_check", "src_sg_egress", "no_route", "route_blackhole", "src_nacl_egress",
    "no_transit", "dst_nacl_ingress", "dst_sg_ingress", "conntrack_full", "no_destination",
    "mtu_exceeded", "allowance_exceeded", "mirror_target_sg_ingress",
)  # fmt: skip
ACTIONS = ("send", "patch", "api", "advance")
PROTOCOL_NAMES = ("tcp", "udp", "icmp", "icmpv6")


def _address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"not an IP address: {value[:60]!r}") from None
    return value


Address = Annotated[str, AfterValidator(_address)]
Seconds = Annotated[float, Field(ge=0, le=MAX_TIME_S, allow_inf_nan=False)]
Byte = Annotated[int, Field(ge=0, le=255)]


class Send(Strict):
    sender: str = Field(alias="from", min_length=1)
    dst: Address
    src: Address | None = None
    proto: Literal["tcp", "udp", "icmp", "icmpv6"] | Byte = "tcp"
    sport: Port | None = None
    dport: Port | None = None
    flags: Literal["S", "SA", "A", "PA", "F", "FA", "R", "RA"] | None = None
    icmp_type: Byte | None = None
    icmp_code: Byte | None = None
    icmp_id: Port | None = None
    ip_id: Port | None = None
    length: Annotated[int, Field(ge=20, le=65535)] | None = None
    df: bool | None = None
    count: Annotated[int, Field(ge=1, le=MAX_COUNT_PER_SEND)] = 1
    spread: Seconds = 0.0
    fragment_size: Annotated[int, Field(ge=68, le=65535)] | None = None

    @model_validator(mode="after")
    def _fragments_need_df_off(self) -> Send:
        if self.fragment_size is not None and self.df:
            raise ValueError("fragment_size needs df: false (the sender fragments)")
        return self

    @model_validator(mode="after")
    def _as_trace_checks_it(self) -> Send:
        """The checks `trace` makes of the same fields (one address family, …)."""
        try:
            check_send(self.model_dump(by_alias=True, exclude_none=True))
        except SendError as error:
            raise ValueError(str(error)) from None
        return self


class Api(Strict):
    op: str = Field(min_length=1)
    params: dict[str, Any] = {}


class Step(Strict):
    at: Seconds | None = None
    send: Send | None = None
    patch: dict[str, Any] | None = None
    api: Api | None = None
    advance: Seconds | None = None
    expect: Expect

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            found = " and ".join(given) if given else "none"
            raise ValueError(f"a step has exactly one of send | patch | api | advance ({found})")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class Scenario(Strict):
    id: str = Field(min_length=1, max_length=64)
    title: str = ""
    tags: list[str] = []
    refs: list[str] = []
    confidence: Literal["documented", "derived", "undocumented"] = "documented"
    topology: str | None = None
    config: dict[str, Any] | None = None
    notes: str | None = None
    steps: list[Step] = Field(min_length=1)


class ScenarioFile(Strict):
    schema_version: Literal[1] = 1
    stages: list[str] = list(DEFAULT_STAGES)
    topologies: dict[str, dict[str, Any]] = {}
    scenarios: list[Scenario]


class ScenarioFileError(ValueError):
    """A scenario file that cannot be run (unreadable, not a scenario file, off schema)."""


class SchemaError(ScenarioFileError):
    """A scenario file refused: `path` from the document root, `scenario_id` if inside one."""

    def __init__(self, path: tuple[str | int, ...], message: str,
                 scenario_id: str | None = None) -> None:
        self.path, self.message, self.scenario_id = path, message, scenario_id
        where = f"scenario {scenario_id}: " if scenario_id else ""
        super().__init__(f"{where}{field_text(path, scenario_id)}: {message}")


def field_text(path: tuple[str | int, ...], scenario_id: str | None = None) -> str:
    """`steps[2].send.count` (inside a scenario) or `topologies.T1` (outside)."""
    parts = path[2:] if scenario_id is not None else path
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def check_document(document: Any) -> ScenarioFile:
    """The whole document, or the first SchemaError."""
    if not isinstance(document, Mapping):
        raise SchemaError((), "a scenario file is a mapping with a `scenarios` list")
    try:
        checked = ScenarioFile.model_validate(document)
    except ValidationError as error:
        raise _schema_error(document, error) from None
    _check_across_scenarios(checked)
    for position, scenario in enumerate(checked.scenarios):
        _check_scenario(checked, position, scenario)
    return checked


def _schema_error(document: Mapping[str, Any], error: ValidationError) -> SchemaError:
    detail = error.errors()[0]
    path = tuple(part for part in detail["loc"] if isinstance(part, str | int))
    path = _data_path(document, path)
    message = str(detail["msg"]).removeprefix("Value error, ")
    return SchemaError(path, message, _scenario_id(document, path))


def _data_path(document: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The part of a pydantic location that indexes the data (drops union-member tags)."""
    path: list[str | int] = []
    node = document
    for part in loc:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            if isinstance(part, str) and part.isidentifier() and not part.startswith(
                    ("function-", "literal[")) and isinstance(node, Mapping):
                path.append(part)  # a missing key: name it
            break
        path.append(part)
    return tuple(path)


def _scenario_id(document: Mapping[str, Any], path: tuple[str | int, ...]) -> str | None:
    if len(path) < 2 or path[0] != "scenarios" or not isinstance(path[1], int):
        return None
    scenario = document["scenarios"][path[1]]
    identity = scenario.get("id") if isinstance(scenario, Mapping) else None
    return identity if isinstance(identity, str) and identity else f"#{path[1] + 1}"


def _check_across_scenarios(checked: ScenarioFile) -> None:
    seen: dict[str, int] = {}
    for position, scenario in enumerate(checked.scenarios):
        if scenario.id in seen:
            raise SchemaError(("scenarios", position, "id"), f"duplicate scenario id (also "
                              f"scenario #{seen[scenario.id] + 1})", scenario.id)
        seen[scenario.id] = position


def _check_scenario(checked: ScenarioFile, position: int, scenario: Scenario) -> None:
    base: tuple[str | int, ...] = ("scenarios", position)
    if scenario.topology is not None and scenario.topology not in checked.topologies:
        known = ", ".join(sorted(checked.topologies)) or "none"
        raise SchemaError((*base, "topology"), f"unknown topology {scenario.topology!r} "
                          f"(defined: {known})", scenario.id)
    clock_s, packets = 0.0, 0
    for index, step in enumerate(scenario.steps):
        where = (*base, "steps", index)
        if step.at is not None and step.at < clock_s - 1e-9:
            raise SchemaError((*where, "at"), f"`at` goes backwards: {step.at} s is before "
                              f"{clock_s:g} s, where the previous step left the clock",
                              scenario.id)
        clock_s = step.at if step.at is not None else (
            clock_s + DEFAULT_STEP_GAP_S if index else 0.0)
        clock_s += (step.advance or 0.0) + (step.send.spread if step.send else 0.0)
        packets += step.send.count if step.send else 0
        if packets > MAX_PACKETS_PER_SCENARIO:
            raise SchemaError((*where, "send", "count"), f"more than "
                              f"{MAX_PACKETS_PER_SCENARIO} packets in one scenario", scenario.id)
        _check_expect(checked, (*where, "expect"), step, scenario.id)


def _check_expect(checked: ScenarioFile, where: tuple[str | int, ...], step: Step,
                  scenario_id: str) -> None:
    expect, action = step.expect, step.action
    allowed = RESULTS_OF_SEND if action == "send" else (
        ("applied",) if action == "advance" else RESULTS_OF_CHANGE)
    if expect.result not in (*allowed, "implementation_defined"):
        raise SchemaError((*where, "result"), f"{_article(action)} {action} step's result is "
                          f"one of {', '.join(allowed)}, not {expect.result}", scenario_id)
    if expect.result == "dropped" and expect.stage is None:
        raise SchemaError((*where, "stage"), "result dropped needs its stage", scenario_id)
    for name in ("stage", "mirror_drop_stage"):
        stage = getattr(expect, name)
        if stage is not None and stage not in checked.stages:
            raise SchemaError((*where, name), f"unknown stage {stage!r} (the file's `stages` "
                              "list names the valid ones)", scenario_id)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
