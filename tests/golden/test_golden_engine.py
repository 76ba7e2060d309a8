"""Golden tests (Snabb-style): input pcap -> one host engine -> expected output pcap + counters.

See golden_cases.py for the cases and how to regenerate (never automatic).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from golden_cases import CASES, CONFIG, REGENERATE_ENV, START_S, STEP_S, Case
from scapy.utils import RawPcapReader

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import load_config
from smartnic.ports.memory import MemoryPort
from smartnic.ports.pcap import PcapWriter


def _read(path: Path) -> list[bytes]:
    return [bytes(frame) for frame, _ in RawPcapReader(str(path))]


def _run(case: Case, fastpath: bool) -> tuple[list[tuple[str, bytes]], dict[str, Any]]:
    clock = VirtualClock(START_S)
    engine = HostEngine("host-1", compile_program(load_config(CONFIG)), clock,
                        MemoryPort("underlay"), fastpath=fastpath)
    emitted: list[tuple[str, bytes]] = []
    for frame in _read(case.path("in.pcap")):
        if case.side == "underlay":
            out = engine.process_underlay_batch([frame])
        else:
            out = engine.process_vm_batch(case.side.removeprefix("vm:"), [frame])
        emitted += [(e.port, e.frame) for e in out]
        clock.advance(STEP_S)
    summary = {
        "ports": [port for port, _ in emitted],
        "counters": {scope: dict(sorted(c.items()))
                     for scope, c in sorted(engine.ctx.counters.snapshot().items())},
        "conntrack": {eni: engine.ctx.conntrack.counters(eni, clock.now())["conntrack_entries"]
                      for eni in ("eni-a",)},
    }
    return emitted, summary


def _regenerate(case: Case, emitted: list[tuple[str, bytes]], summary: dict[str, Any]) -> None:
    writer = PcapWriter(case.path("out.pcap"))
    for index, (_, frame) in enumerate(emitted):
        writer.write(frame, START_S + index * STEP_S)
    writer.close()
    expected = {"purpose": case.purpose, **summary}
    case.path("expected.json").write_text(json.dumps(expected, indent=2) + "\n")


KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c.name]))
    if c.name in KNOWN_BUGS else c for c in CASES], ids=lambda c: c.name)
@pytest.mark.parametrize("fastpath", [False, True], ids=["python", "fastpath"])
def test_golden(case: Case, fastpath: bool) -> None:
    """Both engine kinds emit the same bytes and count the same (the caches they use for
    it are their own business and not part of the expectation)."""
    emitted, summary = _run(case, fastpath)
    if os.environ.get(REGENERATE_ENV) == "1" and not fastpath:
        if case.name in KNOWN_BUGS:  # its expectation is hand-written: the engine is wrong
            raise AssertionError(f"not regenerated: {KNOWN_BUGS[case.name]}")
        _regenerate(case, emitted, summary)
        pytest.skip(f"regenerated expectations of {case.name}")
    if os.environ.get(REGENERATE_ENV) == "1":
        pytest.skip("expectations are regenerated from the Python path")
    if not case.path("expected.json").exists():
        pytest.fail(f"no expectations for {case.name}: run {REGENERATE_ENV}=1 pytest tests/golden "
                    "after checking the behaviour by hand")
    expected = json.loads(case.path("expected.json").read_text())
    expected.pop("purpose")
    assert summary == expected
    assert [frame for _, frame in emitted] == _read(case.path("out.pcap"))


def test_inputs_are_present_and_non_trivial() -> None:
    for case in CASES:
        frames = _read(case.path("in.pcap"))
        assert len(frames) >= 2, case.name
