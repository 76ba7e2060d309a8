"""The hostile benchmark's verdict: a flood is fair only when every bystander figure holds."""

from __future__ import annotations

import copy
from typing import Any

from bench.hostile import ping_figures
from bench.hostile_figures import hostile_figures
from bench.report import _hostile

FLOOD: dict[str, Any] = {
    "rate_pps": 25_000, "seconds": 3.0, "offered": 75_000, "offered_pps": 25_000.0,
    "ping": {"sent": 100, "received": 100, "loss": 0.0, "p50_ms": 0.8, "p99_ms": 1.5},
    "connects": {"ok": 10, "failed": 0, "p50_ms": 1.0, "p99_ms": 2.0},
    "established": {"flooder": {"round_trips": 150, "failures": 0, "max_gap_ms": 30.0},
                    "quiet-1": {"round_trips": 150, "failures": 0, "max_gap_ms": 25.0}},
    "fate": {"eni-flooder": {"new_flow_allowance_exceeded": 60_000, "conntrack_opened": 15_000,
                             "conntrack_allowance_exceeded": 0},
             "eni-target": {"new_flow_allowance_exceeded": 0, "conntrack_opened": 15_000}},
    "rss_before_bytes": {"host-1": 300 << 20, "host-2": 300 << 20},
    "rss_after_bytes": {"host-1": 310 << 20, "host-2": 305 << 20},
    "engines_survived": True,
}
IDLE = {"ping": {"sent": 100, "received": 100, "loss": 0.0, "p50_ms": 0.6, "p99_ms": 1.0},
        "connects": {"ok": 10, "failed": 0}}


def _verdict(**changes: Any) -> dict[str, Any]:
    flood = copy.deepcopy(FLOOD)
    for key, value in changes.items():
        flood[key] = value
    figures = hostile_figures({"idle": IDLE, "floods": [flood]})
    assert figures is not None
    return dict(figures["floods"][0])


def test_a_flood_that_bystanders_do_not_notice_is_fair() -> None:
    figures = _verdict()
    assert figures["fair"]
    assert figures["new_flows_admitted_at_sender"] == 15_000
    assert figures["refused_at_sender"] == 60_000
    assert figures["rss_growth_bytes"] == {"host-1": 10 << 20, "host-2": 5 << 20}


def test_any_bystander_figure_out_of_bounds_is_unfair() -> None:
    assert not _verdict(ping=FLOOD["ping"] | {"p99_ms": 2.5})["fair"]  # over 2x idle
    assert not _verdict(ping=FLOOD["ping"] | {"loss": 0.01})["fair"]
    assert not _verdict(connects={"ok": 9, "failed": 1})["fair"]
    assert not _verdict(established=FLOOD["established"] | {
        "flooder": {"round_trips": 3, "failures": 2, "max_gap_ms": 900.0}})["fair"]
    assert not _verdict(engines_survived=False)["fair"]


def test_the_report_shows_every_flood_rate() -> None:
    results: dict[str, Any] = {"figures": {"hostile": hostile_figures(
        {"idle": IDLE, "floods": [FLOOD, FLOOD | {"rate_pps": None}]})}}
    text = "\n".join(_hostile(results))
    assert "25,000/s" in text and "full speed" in text and "| yes |" in text


def test_ping_figures_count_each_echo_once_and_ignore_those_sent_after_the_count() -> None:
    out = "\n".join([
        "64 bytes from 10.0.1.20: icmp_seq=1 ttl=64 time=4.00 ms",
        "64 bytes from 10.0.1.20: icmp_seq=3 ttl=64 time=900 ms",
        "64 bytes from 10.0.1.20: icmp_seq=3 ttl=64 time=901 ms (DUP!)",
        "64 bytes from 10.0.1.20: icmp_seq=5 ttl=64 time=2.00 ms",  # sent past the count
        "5 packets transmitted, 3 received, +1 duplicates, 40% packet loss"])
    figures = ping_figures(out, 4)
    assert figures["sent"] == 4 and figures["received"] == 2 and figures["loss"] == 0.5
    assert figures["p50_ms"] == 452.0


def test_counters_of_an_engine_that_did_not_answer_are_unknown_not_negative() -> None:
    from bench.hostile import _fate

    before = {"eni-flooder": {"conntrack_opened": 500}, "eni-target": {"conntrack_opened": 9}}
    fate = _fate(before, {"eni-target": {"conntrack_opened": 20}})  # host-1 silent
    assert fate["eni-flooder"]["conntrack_opened"] is None
    assert fate["eni-target"]["conntrack_opened"] == 11
    figures = _verdict(fate=fate)
    assert figures["new_flows_admitted_at_sender"] is None
    text = "\n".join(_hostile({"figures": {"hostile": hostile_figures(
        {"idle": IDLE, "floods": [FLOOD | {"fate": fate}]})}}))
    assert "| – | – / 0 |" in text and "-500" not in text


def test_loop_holds_are_summed_over_phases_per_host_and_shown() -> None:
    holds = {"host-1": {"ports over_10ms": 7, "ports over_100ms": 1, "tick over_10ms": 2,
                        "tick over_100ms": 0},
             "host-2": {"ports over_10ms": 3, "ports over_100ms": 0}}
    figures = _verdict(loop_holds=holds)
    assert figures["loop_holds_over_10ms"] == {"host-1": 9, "host-2": 3}
    assert figures["loop_holds_over_100ms"] == {"host-1": 1, "host-2": 0}
    text = "\n".join(_hostile({"figures": {"hostile": hostile_figures(
        {"idle": IDLE, "floods": [FLOOD | {"loop_holds": holds}]})}}))
    assert "| 9 / 1; 3 / 0 |" in text
    assert _verdict()["loop_holds_over_10ms"] is None  # not reported: unknown
