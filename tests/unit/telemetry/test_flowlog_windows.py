"""Aggregation windows (FL-R2, FL-R3), traffic filters (FL-R6) and NODATA/SKIPDATA (FL-R7)."""

from __future__ import annotations

import re

from flowlog_builders import ACCOUNT, collector, obs, spec

from smartnic.telemetry.flowlogs.window import idle_runs

WINDOW_FIELDS = ("interface-id", "srcport", "packets", "bytes", "start", "end", "log-status")


def lines(records: list) -> list[str]:  # type: ignore[type-arg]
    return [record.line for record in records]


def test_fl_r2_one_record_per_direction_action_and_tuple() -> None:
    log = collector(spec(fields=("flow-direction", "action", "srcport", "packets")))
    log.observe(obs(t=1))
    log.observe(obs(t=2))
    log.observe(obs(sport=40001, t=3))
    log.observe(obs(action="REJECT", t=4))
    log.observe(obs(direction="egress", src="10.0.2.30", dst="10.0.1.10", sport=22,
                    dport=40000, t=5))
    assert lines(log.advance(60)) == [
        "ingress ACCEPT 40000 2", "ingress ACCEPT 40001 1", "ingress REJECT 40000 1",
        "egress ACCEPT 22 1",
    ]


def test_fl_r3_windows_aligned_to_interval_with_packet_times() -> None:
    log = collector(spec(fields=WINDOW_FIELDS), start_s=30)
    for time_s in (31.5, 59.9, 60.0, 119.99, 185.2):
        log.observe(obs(length=100, t=time_s))
    assert lines(log.advance(119.99)) == ["eni-c 40000 2 200 31 59 OK"]  # [60, 120) open
    assert lines(log.advance(120)) == ["eni-c 40000 2 200 60 119 OK"]
    assert lines(log.advance(240)) == [
        "eni-c - - - 120 180 NODATA", "eni-c 40000 1 100 185 185 OK"]


def test_fl_r3_ten_minute_interval() -> None:
    log = collector(spec(fields=WINDOW_FIELDS, interval_s=600))
    for time_s in (5, 300, 599):
        log.observe(obs(t=time_s))
    log.observe(obs(t=600))
    assert lines(log.advance(600)) == ["eni-c 40000 3 180 5 599 OK"]


def test_fl_r6_reject_only_log_skips_accepted_flows() -> None:
    """FL-006: a REJECT log records the dropped SSH attempt, not the accepted HTTP flow."""
    log = collector(spec(traffic="REJECT", fields=("dstport", "action")))
    log.observe(obs(dport=80, t=1))
    log.observe(obs(sport=40001, dport=22, action="REJECT", t=2))
    assert lines(log.advance(60)) == ["22 REJECT"]


def test_fl_r6_accept_only_log_skips_rejected_flows() -> None:
    log = collector(spec(traffic="ACCEPT", fields=("dstport", "action")))
    log.observe(obs(dport=80, t=1))
    log.observe(obs(dport=22, action="REJECT", t=2))
    assert lines(log.advance(60)) == ["80 ACCEPT"]


def test_filtered_traffic_is_still_traffic_no_nodata() -> None:
    """FL-R7 NODATA means no traffic at all; rejected-only traffic in an ACCEPT log is not."""
    log = collector(spec(traffic="ACCEPT"))
    log.observe(obs(action="REJECT", t=1))
    assert log.advance(60) == []


def test_fl_r7_nodata_shape_fl_003() -> None:
    """FL-003: eni-b idle for 130 s with a 60 s default-format log -> a NODATA record."""
    log = collector(spec(enis=["eni-b"]))
    (record,) = log.advance(130)
    assert re.fullmatch(rf"2 {ACCOUNT} eni-b - - - - - - - \d+ \d+ - NODATA", record.line)
    assert record.line.endswith(" 0 120 - NODATA")
    assert (record.log_status, record.action, record.direction) == ("NODATA", None, "-")


def test_fl_r7_nodata_keeps_eni_fields_only() -> None:
    log = collector(spec(fields=("version", "vpc-id", "instance-id", "tcp-flags", "type",
                                 "flow-direction", "packets", "action", "log-status")))
    assert lines(log.advance(60)) == ["5 vpc-a i-0123456789abcdef0 - - - - - NODATA"]


def test_fl_r7_consecutive_idle_windows_coalesce() -> None:
    log = collector(spec(enis=["eni-a", "eni-c"], fields=WINDOW_FIELDS))
    log.observe(obs(t=130))
    one_year_s = 365 * 86400
    records = log.advance(one_year_s)
    assert lines(records) == [
        "eni-a - - - 0 " + str(one_year_s) + " NODATA",
        "eni-c - - - 0 120 NODATA",
        "eni-c 40000 1 60 130 130 OK",
        "eni-c - - - 180 " + str(one_year_s) + " NODATA",
    ]


def test_fl_r7_nodata_starts_when_the_log_starts() -> None:
    log = collector(spec(fields=("start", "end", "log-status")), start_s=75.5)
    assert lines(log.advance(240)) == ["75 240 NODATA"]


def test_fl_r7_skipdata_when_window_flow_limit_reached() -> None:
    log = collector(spec(fields=("srcport", "packets", "start", "end", "log-status")),
                    max_flows_per_window=2)
    for port in (1, 2, 3, 4):
        log.observe(obs(sport=port, t=10 + port))
    log.observe(obs(sport=1, t=20))  # known flows keep aggregating
    assert log.skipped_packets == 2
    assert lines(log.advance(60)) == ["1 2 11 20 OK", "2 1 12 12 OK", "- - 0 60 SKIPDATA"]


def test_late_observation_lands_in_first_open_window() -> None:
    log = collector(spec(fields=("packets", "start", "end")))
    log.advance(60)
    log.observe(obs(t=30))  # older than the closed window [0, 60)
    assert lines(log.advance(120)) == ["1 60 60"]


def test_flush_closes_partial_window_and_restarts_coverage() -> None:
    log = collector(spec(enis=["eni-a", "eni-c"], fields=WINDOW_FIELDS))
    log.observe(obs(t=61))
    assert lines(log.flush(90)) == [
        "eni-a - - - 0 90 NODATA", "eni-c - - - 0 60 NODATA", "eni-c 40000 1 60 61 61 OK"]
    log.observe(obs(t=95))
    assert lines(log.advance(120)) == ["eni-a - - - 90 120 NODATA",
                                       "eni-c 40000 1 60 95 95 OK"]


def test_records_lists_final_then_open() -> None:
    log = collector(spec(fields=("start", "log-status")))
    log.observe(obs(t=1))
    log.advance(60)
    log.observe(obs(t=61))
    assert lines(log.records()) == ["1 OK", "61 OK"]
    assert lines(log.records(include_open=False)) == ["1 OK"]


def test_observations_for_uncovered_enis_are_ignored() -> None:
    log = collector(spec(fields=("interface-id", "log-status")))
    log.observe(obs("eni-zzz", t=1))
    assert lines(log.advance(60)) == ["eni-c NODATA"]


def test_idle_runs() -> None:
    assert list(idle_runs(0, 5, {1, 2})) == [(0, 1), (3, 5)]
    assert list(idle_runs(3, 3, set())) == []
    assert list(idle_runs(0, 3, {0, 1, 2, 9})) == []
    assert list(idle_runs(2, 4, set())) == [(2, 4)]


def test_a_delivering_collector_hands_records_out_and_keeps_none() -> None:
    """Engine processes deliver what advance/flush return: memory does not grow with age."""
    kept, handed = collector(), collector(keep_final=False)
    for log in (kept, handed):
        log.observe(obs(t=1))
    handed_out = lines(handed.advance(60))
    assert handed_out == lines(kept.advance(60)) and len(handed_out) == 1
    assert handed.records(include_open=False) == []
    assert lines(kept.records(include_open=False)) == handed_out
    handed.observe(obs(t=61))
    assert len(handed.records(include_open=True)) == 1  # the open aggregate is still shown
    assert len(lines(handed.flush(70))) == 1 and handed.records(include_open=False) == []
