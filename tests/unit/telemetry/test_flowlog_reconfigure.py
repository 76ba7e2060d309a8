"""Configuration changes (FL-R1): formats are immutable; logs and ENIs come and go at `now`."""

from __future__ import annotations

import pytest
from flowlog_builders import collector, eni, obs, spec

FIELDS = ("interface-id", "packets", "start", "end", "log-status")


def lines(records: list) -> list[str]:  # type: ignore[type-arg]
    return [record.line for record in records]


def contexts(*eni_ids: str) -> dict:  # type: ignore[type-arg]
    return {eni_id: eni(eni_id) for eni_id in eni_ids}


def test_existing_flow_log_keeps_its_format_traffic_and_interval() -> None:
    log = collector(spec(fields=("srcport",)))
    changed = spec(fields=("dstport", "action"), traffic="REJECT", interval_s=600)
    log.reconfigure([changed], contexts("eni-c"), now_s=10)
    assert log.specs[0].fields == ("srcport",)
    log.observe(obs(t=20))
    assert lines(log.advance(60)) == ["40000"]


def test_deleted_flow_log_is_flushed_and_reported_by_next_advance() -> None:
    log = collector(spec(fields=FIELDS))
    log.observe(obs(t=70))
    log.reconfigure([], {}, now_s=100)
    log.observe(obs(t=110))  # no flow log covers eni-c any more
    assert lines(log.advance(600)) == ["eni-c - 0 60 NODATA", "eni-c 1 70 70 OK"]
    assert log.advance(1200) == []
    assert lines(log.records()) == ["eni-c - 0 60 NODATA", "eni-c 1 70 70 OK"]


def test_new_flow_log_starts_at_reconfigure_time() -> None:
    log = collector(spec(fields=FIELDS))
    log.reconfigure([spec(), spec("fl-2", fields=FIELDS)], contexts("eni-c"), now_s=75)
    log.observe(obs(t=80))
    records = log.advance(120)
    assert [(r.flow_log_id, r.line) for r in records if r.flow_log_id == "fl-2"] == [
        ("fl-2", "eni-c 1 80 80 OK")]
    assert [r.line for r in records if r.flow_log_id == "fl-1"] == [
        "eni-c - 0 60 NODATA", "eni-c 1 80 80 OK"]


def test_scope_gains_and_loses_enis() -> None:
    """FL-R1: a VPC log covers ENIs created later; a deleted ENI's windows are flushed."""
    log = collector(spec(enis=["eni-a", "eni-c"], fields=FIELDS))
    log.observe(obs("eni-a", "egress", src="10.0.1.10", dst="10.0.2.30", t=5))
    log.reconfigure([spec(enis=["eni-c", "eni-b"], fields=FIELDS)],
                    contexts("eni-b", "eni-c"), now_s=30)
    log.observe(obs("eni-a", "egress", src="10.0.1.10", dst="10.0.2.30", t=40))  # ignored
    log.observe(obs("eni-b", src="10.0.1.10", dst="10.0.1.20", t=50))
    assert lines(log.advance(60)) == [
        "eni-a 1 5 5 OK", "eni-b 1 50 50 OK", "eni-c - 0 60 NODATA"]


def test_unknown_eni_context_is_rejected_without_change() -> None:
    log = collector(spec(fields=FIELDS))
    with pytest.raises(ValueError, match="fl-1.*eni-q"):
        log.reconfigure([spec(enis=["eni-q"], fields=FIELDS)], contexts("eni-c"), now_s=1)
    log.observe(obs(t=2))
    assert lines(log.advance(60)) == ["eni-c 1 2 2 OK"]


def test_duplicate_flow_log_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="fl-1: id used twice"):
        collector(spec(), spec())
