"""Run scenario files (schema_version 1) on the in-process cloud with a virtual clock.

A file is checked whole against the schema (`scenarios.schema`) before anything runs; a
refusal is one ScenarioFileError naming `file:line`, the scenario id and the field.
Each scenario gets a fresh cloud built from its topology deep-merged with its `config`.
A scenario is SKIPped when its confidence is `undocumented` (AWS is silent, the expected
outcome is ours to choose) or when it needs a feature this build does not have yet;
otherwise it PASSes when every step's outcome matches its `expect`, and FAILs at the
first mismatch. A config_error's `reason` text is compared loosely: a different wording
is reported as a note, not a failure, since the refusal itself is what is specified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartnic.model import ConfigError, deep_merge
from smartnic.model.source import SourceError, load_document
from smartnic.scenarios.expect import check
from smartnic.scenarios.schema import SCHEMA_VERSION, ScenarioFileError, SchemaError, check_document
from smartnic.scenarios.sends import SendError
from smartnic.scenarios.session import Session

# Tags of features the data plane does not implement yet.
UNBUILT_FEATURES = {"mirror": "traffic mirroring", "encryption": "encryption in transit"}
__all__ = ["SCHEMA_VERSION", "ScenarioFileError", "load_scenario_file", "run_file", "summary"]


@dataclass
class ScenarioResult:
    id: str
    title: str
    status: str  # PASS | FAIL | SKIP
    message: str = ""
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.status} {self.id}: {self.title}"
        return f"{text} — {self.message}" if self.message else text

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "message": self.message, "notes": self.notes}


def load_scenario_file(path: str | Path) -> dict[str, Any]:
    """The document of a scenario file, checked against the schema as a whole."""
    try:
        document = load_document(path)
    except SourceError as error:  # unreadable, binary, not YAML, too deep or too large
        raise ScenarioFileError(str(error)) from None
    data = document.data
    if not isinstance(data, dict) or "scenarios" not in data:
        raise ScenarioFileError(f"{path}: not a scenario file (no `scenarios` list)")
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ScenarioFileError(f"{path}: unsupported schema_version "
                                f"{data.get('schema_version')}")
    try:
        check_document(data)
    except SchemaError as error:
        raise ScenarioFileError(f"{document.where(tuple(error.path))}: {error}") from None
    return data


def run_file(document: Mapping[str, Any], tags: Iterable[str] = ()) -> list[ScenarioResult]:
    """Results of the scenarios (those with one of `tags`, if given); the document is
    checked against the schema first (SchemaError, a ScenarioFileError, if it fails)."""
    check_document(document)
    wanted = set(tags)
    topologies = document.get("topologies") or {}
    return [
        run_scenario(scenario, topologies)
        for scenario in document["scenarios"]
        if not wanted or wanted & set(scenario.get("tags", []))
    ]


def skip_reason(scenario: Mapping[str, Any]) -> str | None:
    if scenario.get("confidence") == "undocumented":
        return "confidence: undocumented (outcome is implementation-defined)"
    for tag in scenario.get("tags", []):
        if tag in UNBUILT_FEATURES:
            return f"needs {UNBUILT_FEATURES[tag]}, not built yet"
    return None


def run_scenario(scenario: Mapping[str, Any],
                 topologies: Mapping[str, Any]) -> ScenarioResult:
    result = ScenarioResult(str(scenario.get("id", "?")), str(scenario.get("title", "")), "PASS")
    reason = skip_reason(scenario)
    if reason:
        result.status, result.message = "SKIP", reason
        return result
    try:
        _run_steps(scenario, topologies, result)
    except (ConfigError, SendError, KeyError, ValueError) as error:
        result.status, result.message = "FAIL", f"cannot run: {error}"
    return result


def _run_steps(scenario: Mapping[str, Any], topologies: Mapping[str, Any],
               result: ScenarioResult) -> None:
    topology = scenario.get("topology")
    base = topologies.get(str(topology), {}) if topology else {}
    session = Session(deep_merge(base, scenario.get("config") or {}))
    for index, step in enumerate(scenario.get("steps", []), start=1):
        outcome = session.run_step(step)
        expect = step.get("expect") or {}
        problems = check(expect, outcome, session)
        if problems:
            result.status, result.message = "FAIL", f"step {index}: {problems[0]}"
            return
        wanted_reason = expect.get("reason")
        if wanted_reason and outcome.error and str(wanted_reason).lower() not in (
                outcome.error.lower()):
            result.notes.append(f"step {index}: refused with {outcome.error!r} "
                                f"(expected wording: {wanted_reason!r})")


def summary(results: list[ScenarioResult]) -> str:
    counts = {status: sum(r.status == status for r in results)
              for status in ("PASS", "FAIL", "SKIP")}
    return f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped"
