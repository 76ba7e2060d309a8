"""Compare a step's outcome with its `expect` mapping; returns the mismatches, first first."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from smartnic.net.journey import Journey
from smartnic.packet import MalformedPacket, int_to_ip, ip_to_int, parse_frame
from smartnic.scenarios.session import Session, StepOutcome
from smartnic.telemetry.flowlogs import FlowLogRecord

_FL_ATTRIBUTES = {"eni": "eni_id", "direction": "direction", "action": "action",
                  "log_status": "log_status", "version": "version"}


def compare(value: int, expected: Any) -> bool:
    """`expected` is N, "==N", ">=N" or "<=N"."""
    text = str(expected).strip()
    for op, test in ((">=", value.__ge__), ("<=", value.__le__), ("==", value.__eq__)):
        if text.startswith(op):
            return bool(test(int(text[2:])))
    return value == int(text)


def check(expect: Mapping[str, Any], outcome: StepOutcome, session: Session) -> list[str]:
    problems: list[str] = []
    wanted = expect.get("result")
    if wanted and wanted != "implementation_defined" and wanted != outcome.result:
        problems.append(f"expected {wanted}, got {outcome.result}{_why(outcome)}")
        return problems
    for check_one in (_to, _stage, _counts, _delivered_as, _flow_logs, _counters, _route):
        problems += check_one(expect, outcome, session)
    return problems


def _why(outcome: StepOutcome) -> str:
    if outcome.error:
        return f" ({outcome.error})"
    drops = [j.drop for j in outcome.dropped if j.drop]
    if drops:
        return f" at {drops[0].stage} ({drops[0].reason})"
    tos = {j.to for j in outcome.delivered}
    return f" to {', '.join(sorted(t for t in tos if t))}" if tos else ""


def _to(expect: Mapping[str, Any], outcome: StepOutcome, _: Session) -> list[str]:
    wanted = expect.get("to")
    if not wanted or outcome.result in ("dropped", "applied", "config_error"):
        return []
    wrong = sorted({str(j.to) for j in outcome.delivered if j.to != wanted})
    return [f"expected delivery to {wanted}, went to {', '.join(wrong)}"] if wrong else []


def _stage(expect: Mapping[str, Any], outcome: StepOutcome, _: Session) -> list[str]:
    wanted = expect.get("stage")
    if not wanted or outcome.result not in ("dropped", "partial"):
        return []
    stages = sorted({j.drop.stage if j.drop else "nowhere" for j in outcome.dropped})
    return [] if stages == [wanted] else [f"expected drop at {wanted}, got {', '.join(stages)}"]


def _counts(expect: Mapping[str, Any], outcome: StepOutcome, _: Session) -> list[str]:
    problems = []
    for key, journeys in (("delivered_count", outcome.delivered),
                          ("dropped_count", outcome.dropped)):
        if key in expect and not compare(len(journeys), expect[key]):
            problems.append(f"{key} {len(journeys)} is not {expect[key]}")
    return problems


def _delivered_as(expect: Mapping[str, Any], outcome: StepOutcome, _: Session) -> list[str]:
    wanted = expect.get("delivered_as")
    if not wanted or not outcome.delivered:
        return []
    journey = outcome.delivered[0]
    seen = _seen(journey)
    problems = []
    for key, value in wanted.items():
        if key == "nitro_encrypted":
            continue  # encryption metadata is not modelled; such scenarios are skipped
        got = seen.get(key)
        same = _same_address(got, value) if key in ("src", "dst") else got == value
        if not same:
            problems.append(f"delivered_as.{key}: expected {value}, got {got}")
    return problems


def _seen(journey: Journey) -> dict[str, Any]:
    frames = journey.frames_to(journey.to or "")
    packets = []
    for frame in frames:
        try:
            packets.append(parse_frame(frame, verify_checksums=False))
        except MalformedPacket:
            continue
    if not packets:
        return {}
    first = packets[0]
    return {
        "src": int_to_ip(first.ip_version, first.src_ip),
        "dst": int_to_ip(first.ip_version, first.dst_ip),
        "fragments": len(packets),
        "max_fragment_length": max(p.ip_total_length for p in packets),
    }


def _same_address(got: Any, wanted: Any) -> bool:
    return got is not None and ip_to_int(str(got)) == ip_to_int(str(wanted))


def _flow_logs(expect: Mapping[str, Any], outcome: StepOutcome, session: Session) -> list[str]:
    records = session.cloud.flow_log_records(include_open=True)
    problems = []
    for match in expect.get("flow_logs", []):
        if not any(record_matches(r, match) for r in records):
            problems.append(f"no flow-log record matches {dict(match)}")
    for match in expect.get("flow_logs_absent", []):
        found = next((r for r in records if record_matches(r, match)), None)
        if found is not None:
            problems.append(f"unexpected flow-log record {found.line!r} matches {dict(match)}")
    return problems


def record_matches(record: FlowLogRecord, match: Mapping[str, Any]) -> bool:
    for key, wanted in match.items():
        if key == "pattern":
            if not re.search(str(wanted), record.line):
                return False
            continue
        if key in _FL_ATTRIBUTES:
            got = getattr(record, _FL_ATTRIBUTES[key])
        else:
            got = record.values.get(key.replace("_", "-"))
        if str(got) != str(wanted):
            return False
    return True


def _counters(expect: Mapping[str, Any], outcome: StepOutcome, session: Session) -> list[str]:
    problems = []
    for eni_id, wanted in (expect.get("counters") or {}).items():
        counters = session.cloud.eni_counters(eni_id)
        for name, condition in wanted.items():
            value = counters.get(name, 0)
            if not compare(value, condition):
                problems.append(f"counter {eni_id}.{name} = {value}, expected {condition}")
    return problems


def _route(expect: Mapping[str, Any], outcome: StepOutcome, _: Session) -> list[str]:
    wanted = (expect.get("route_selected") or {}).get("target")
    if not wanted:
        return []
    targets = [h.fact("route_target") for j in outcome.journeys for h in j.hops
               if h.stage == "route" and h.fact("route_target")]
    got = targets[0] if targets else None
    return [] if got == wanted else [f"route_selected: expected {wanted}, got {got}"]
