"""The harness end to end on tiny settings (no real ports): every step runs, the `--json`
figures carry every key, the report renders every section, says which targets fall
short, and the next report reads the previous figures back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench import harness, report
from bench.report_notes import shortfalls, targets
from smartnic.cli.main import app

TINY = replace(harness.QUICK, flow_counts=(1, 10), seconds=0.01, repeats=1, pool_cap=256,
               slowpath_connections=20, slowpath_repeats=1, profile_connections=10,
               memory_connections=500, flood_established=4, flood_capacity=16,
               flood_packets=256, e2e=False)


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return harness.run(replace(TINY, flow_counts=(1, harness.HEADLINE_FLOWS)), lambda _: None)


def test_every_step_ran_and_every_figure_key_is_there(results: dict[str, Any]) -> None:
    assert results["errors"] == {}
    figures = results["figures"]
    assert set(harness.FIGURE_KEYS) <= set(figures)
    assert set(harness.E2E_KEYS) <= set(figures["e2e"])
    scalars = [k for k in harness.FIGURE_KEYS if k != "one_frame_us"]
    assert all(figures[k] is not None and figures[k] > 0 for k in scalars)
    assert set(figures["one_frame_us"]) == {"encap", "decap"}
    assert all(us > 0 for us in figures["one_frame_us"].values())
    assert all(v is None for v in figures["e2e"].values()  # e2e skipped
               if not isinstance(v, dict))
    assert all(v is None for per_datapath in (figures["e2e"]["tcp_gbps"],
                                              figures["e2e"]["tcp_cores_per_gbps"])
               for v in per_datapath.values())
    json.dumps(figures)


def test_hits_are_hits_and_the_flood_is_bounded(results: dict[str, Any]) -> None:
    for case in results["fast"]["cases"]:
        assert case["encap_forwarded"] == case["decap_forwarded"] == case["pool_packets"]
        assert case["encap_punted"] == case["decap_punted"] == 0
    for direction in ("encap", "decap"):  # classify is one stage of process()
        stages = results["kernels"][direction]
        assert 0 < stages["classify_ns"] < stages["process_ns"]
    flood = results["flood"]
    assert flood["tracked_after"] == TINY.flood_capacity
    assert flood["refused_new_connections"] > 0 and flood["established_lost"] == 0
    assert flood["flow_cache_entries"] <= TINY.flood_capacity


def test_report_renders_every_section_and_round_trips_figures(
        results: dict[str, Any], tmp_path: Path) -> None:
    text = report.render(results, None)
    for heading in ("## Machine", "## Figures against targets", "## (a)", "## (b)", "## (d)",
                    "## (d) End to end, TCP", "## (e)", "## Bad input", "## Profiles",
                    "## What changed"):
        assert heading in text
    embedded = report.previous_figures(text)
    assert embedded == json.loads(json.dumps(dict(results["figures"],
                                                  commit=results["machine"]["git"])))
    path = tmp_path / "benchmarks.md"
    report.write(results, path)
    report.write(results, path)  # the second report compares with the first
    assert "the previous run" in path.read_text()


def test_targets_and_shortfalls_follow_the_numbers(results: dict[str, Any]) -> None:
    rows = {row[0]: row for row in targets(results)}
    assert len(rows) == 11 and all(len(row) == 5 for row in rows.values())
    real_port_rows = [row for name, row in rows.items() if "end to end" in name or "flood" in name]
    assert len(real_port_rows) == 6 and all(row[4] == "not measured" for row in real_port_rows)
    better = dict(results, figures=dict(results["figures"], slowpath_cps=2e6,
                                        slowpath_cps_receiver=3e6))
    assert not any("New connections" in note for note in shortfalls(better))
    worse = dict(results, figures=dict(results["figures"], slowpath_cps_receiver=10.0))
    assert any("New connections" in note for note in shortfalls(worse))


def test_cli_json_prints_the_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "settings_for", lambda quick, skip_e2e: TINY)
    done = CliRunner().invoke(app, ["bench", "--quick", "--json", "--skip-e2e"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout[done.stdout.index("{"):])
    assert set(harness.FIGURE_KEYS) <= set(figures) and "e2e" in figures
