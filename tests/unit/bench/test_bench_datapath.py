"""The in-memory datapath adapter: the Python batch path when the engine has no fast path,
else `engine.fastpath.process(side, port_index, batch)` with the port numbering the fast
path documents (underlay 0, `vm:<eni>` by name)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pytest

from bench.bed import make_bed
from bench.datapath import UNDERLAY_PORT, UNDERLAY_SIDE, VM_SIDE, FastPath, datapath_for
from bench.flows import as_bytes, flow_frames

fastpath = pytest.importorskip("smartnic.dataplane.fastpath")


class _Result(NamedTuple):
    emissions: Any
    punted: np.ndarray


class _FakeFastPath:
    """Echoes every frame of a batch to port 7, punting the first one of each batch."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def port_index(self, name: str) -> int:
        return {"vm:eni-client": 3}.get(name, 9)

    def process(self, side: int, port: int, batch: Any) -> _Result:
        self.calls.append((side, port, len(batch)))
        count = len(batch)
        emissions = fastpath.Emissions(batch, np.full(count, 7, np.int32),
                                       np.arange(count, dtype=np.int32))
        return _Result(emissions, np.array([0], np.int32))


def test_python_path_when_the_engine_has_no_fast_path() -> None:
    bed = make_bed(fastpath=False)
    path = datapath_for(bed)
    assert path.kind == "python" and "Python" in path.label
    frames = as_bytes(flow_frames(bed.program, np.arange(4), 64))
    underlay = path.underlay_frames(frames)
    assert len(underlay) == 4 == path.encap(path.prepare(frames))
    assert path.decap(path.prepare(underlay)) == 4


def test_fast_path_adapter_follows_the_documented_api() -> None:
    bed = make_bed()
    fakes = _FakeFastPath(), _FakeFastPath()
    engines: list[Any] = [bed.client, bed.server]
    for engine, fake in zip(engines, fakes, strict=True):
        engine.fastpath = fake
    path = datapath_for(bed)
    assert isinstance(path, FastPath) and path.kind == "fastpath"
    frames = as_bytes(flow_frames(bed.program, np.arange(1500), 64))
    prepared = path.prepare(frames)
    assert path.encap(prepared) == 1500 and path.decap(prepared) == 1500
    assert path.punted(prepared, VM_SIDE) == len(prepared) == 2
    assert {c[:2] for c in fakes[0].calls} == {(VM_SIDE, 3)}
    assert {c[:2] for c in fakes[1].calls} == {(UNDERLAY_SIDE, UNDERLAY_PORT)}
    assert path.table_rows() is None
