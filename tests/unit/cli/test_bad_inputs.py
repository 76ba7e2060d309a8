"""No traceback on any bad input: every command of the corpus (bad_input_corpus.py) ends with
exit status 2 and one line on stderr that names what is wrong — never the last-resort
catch-all of cli/main.py, which is kept for what nobody foresaw (and tested here too)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smartnic.cli import main as cli_main
from smartnic.cli.main import CATCH_ALL_TEXT, run
from tests.unit.cli.bad_input_corpus import Case, cases, write_files

USAGE_EXIT = 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_files(root)
    return root


def _case_ids() -> list[str]:
    return [case.id for case in cases(Path("/corpus"))]


@pytest.mark.parametrize("case_id", _case_ids())
def test_bad_input_ends_in_one_line_and_status_2(
    case_id: str, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in cases(corpus) if c.id == case_id)
    if case.needs_root and os.geteuid() != 0:
        pytest.skip("needs root: the command refuses non-root users before it reads its input")
    status = run(case.argv)
    err = capsys.readouterr().err
    _assert_one_line_refusal(case, status, err)


def _assert_one_line_refusal(case: Case, status: int, err: str) -> None:
    assert "Traceback" not in err
    assert CATCH_ALL_TEXT not in err, f"{case.id} reached the catch-all: {err}"
    lines = err.splitlines()
    assert len(lines) == 1, f"{case.id}: {len(lines)} lines on stderr: {err!r}"
    assert status == USAGE_EXIT, f"{case.id}: status {status}: {err}"
    assert case.says in lines[0], f"{case.id}: {case.says!r} not in {lines[0]!r}"


def test_config_error_names_file_line_object_and_field(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / "reserved-ip.yaml"
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "10.0.1.3" in text)
    assert run(["validate", str(path)]) == USAGE_EXIT
    assert capsys.readouterr().err.startswith(
        f"config refused: {path}:{line}: eni-1.ips[0]: 10.0.1.3 is a reserved address")


def test_packets_error_names_the_line_of_the_field(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus / "packets-dport-70000.yaml"
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1)
                if "70000" in text)
    run(["trace", "--config", str(corpus / "cloud.yaml"), "--packets", str(path)])
    assert capsys.readouterr().err.startswith(f"error: {path}:{line}: send[1].dport: 70000")


def test_an_unforeseen_exception_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli_main.validate_cmd, "load_or_exit", broken)
    monkeypatch.delenv(cli_main.DEBUG_VARIABLE, raising=False)
    assert run(["validate", str(corpus / "cloud.yaml")]) == USAGE_EXIT
    err = capsys.readouterr().err
    assert err == (f"{CATCH_ALL_TEXT}RuntimeError: boom second line "
                   f"({cli_main.DEBUG_VARIABLE}=1 shows the traceback)\n")


def test_debug_variable_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_main.validate_cmd, "load_or_exit", broken)
    monkeypatch.setenv(cli_main.DEBUG_VARIABLE, "1")
    assert run(["validate", str(corpus / "cloud.yaml")]) == USAGE_EXIT
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith(CATCH_ALL_TEXT)


def test_good_input_still_succeeds(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(corpus / "cloud.yaml")]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 VPCs")


def test_the_installed_entry_point_is_guarded(corpus: Path) -> None:
    """The `smartnic` script calls `app()`: the same guard, in a real process."""
    for argv in (["validate", str(corpus / "binary.yaml")], ["trace", "--dport", "x"]):
        done = subprocess.run([sys.executable, "-c", "from smartnic.cli.main import app; app()",
                               *argv], capture_output=True, text=True, timeout=300)
        assert done.returncode == USAGE_EXIT and "Traceback" not in done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr


def test_usage_errors_keep_typer_frame_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert run(["trace", "--config", "x.yaml", "--dport", "http"]) == USAGE_EXIT
    err = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().err)  # colours on a terminal
    assert "Usage: smartnic trace" in err and "'--dport'" in err and len(err.splitlines()) > 1
