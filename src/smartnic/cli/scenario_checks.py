"""The shape of a scenario file, checked before `scenarios run` runs anything.

The runner trusts its input's shape (a `steps: 5` or a `send: [..]` would end in a Python
traceback), so the command checks the containers the runner walks, and every `send` step
with the same checks `trace` uses (`scenarios.sends.check_send`), and refuses the first
problem as `file:line: scenarios[3].steps[1].send.dport: …`. A schema of the scenario files
would do all of this (and more); these checks are then redundant and can go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartnic.cli.common import fail, kind_name
from smartnic.model.source import SourceError, load_document
from smartnic.scenarios.sends import SendError, check_seconds, check_send

Path_ = tuple[str | int, ...]
Problem = tuple[Path_, str] | None  # where in the data, and what is wrong
Shape = dict[str, tuple[type, bool]]
# field → (type, None allowed) for the containers the runner reads
TOP: Shape = {"topologies": (dict, True), "scenarios": (list, False), "stages": (list, True)}
SCENARIO: Shape = {"id": (str, False), "title": (str, True), "tags": (list, True),
            "refs": (list, True), "topology": (str, True), "config": (dict, True),
            "steps": (list, True)}
STEP: Shape = {"send": (dict, False), "patch": (dict, False), "api": (dict, False),
        "expect": (dict, True)}
EXPECT: Shape = {"flow_logs": (list, False), "flow_logs_absent": (list, False),
          "counters": (dict, True), "delivered_as": (dict, True),
          "route_selected": (dict, True)}
KIND: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}


def check_scenario_file(path: Path, data: dict[str, Any]) -> None:
    """Refuse (exit 2, one line) the first part of `data` the runner cannot walk."""
    problem = _problem(data)
    if problem is None:
        return
    where, message = problem
    try:
        located = load_document(path).where(where)  # read again for its lines, only now
    except SourceError:
        located = str(path)
    fail(f"{located}: {_dotted(where)}: {message}")


def _problem(data: dict[str, Any]) -> Problem:
    found = _fields(data, (), TOP)
    if found:
        return found
    for name, topology in (data.get("topologies") or {}).items():
        found = found or _kind_of(topology, ("topologies", name), dict)
    for index, scenario in enumerate(data["scenarios"]):
        found = found or _scenario(scenario, ("scenarios", index))
    return found


def _scenario(scenario: Any, at: Path_) -> Problem:
    found = _kind_of(scenario, at, dict) or _fields(scenario, at, SCENARIO)
    if found:
        return found
    for index, tag in enumerate(scenario.get("tags") or []):
        found = found or _kind_of(tag, (*at, "tags", index), str)
    for index, step in enumerate(scenario.get("steps") or []):
        found = found or _step(step, (*at, "steps", index))
    return found


def _step(step: Any, at: Path_) -> Problem:
    found = _kind_of(step, at, dict) or _fields(step, at, STEP)
    if found:
        return found
    for name in ("at", "advance"):
        found = found or _checked(check_seconds, step, name, at)
    if "send" in step:
        found = found or _send(step["send"], (*at, "send"))
    return found or _expect(step.get("expect") or {}, (*at, "expect"))


def _expect(expect: dict[str, Any], at: Path_) -> Problem:
    found = _fields(expect, at, EXPECT)
    if found:
        return found
    for name in ("flow_logs", "flow_logs_absent"):
        for index, match in enumerate(expect.get(name) or []):
            found = found or _kind_of(match, (*at, name, index), dict)
    for eni, counters in (expect.get("counters") or {}).items():
        found = found or _kind_of(counters, (*at, "counters", eni), dict)
    return found


def _send(spec: dict[str, Any], at: Path_) -> Problem:
    try:
        check_send(spec)
    except SendError as error:
        return ((*at, error.field) if error.field else at), error.message
    return None


def _checked(check: Any, step: dict[str, Any], name: str, at: Path_) -> Problem:
    if step.get(name) is None:
        return None
    try:
        check(step[name], name)
    except SendError as error:
        return (*at, name), error.message
    return None


def _fields(value: dict[str, Any], at: Path_,
            shape: Shape) -> Problem:
    for name, (kind, nullable) in shape.items():
        if name not in value or (value[name] is None and nullable):
            continue
        found = _kind_of(value[name], (*at, name), kind)
        if found:
            return found
    return None


def _kind_of(value: Any, at: Path_, kind: type) -> Problem:
    if isinstance(value, kind):
        return None
    return at, f"expected {KIND[kind]}, got {kind_name(value)}"


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"
