"""A VM flooding new TCP connections must not hurt its neighbours (real namespaces).

Topology (bench/hostile.py): host-1 runs the flooder and bystander quiet-1, host-2 the
target and bystander quiet-2; every VM runs an echo server on TCP 5201. For each flood
rate (about 8k SYN/s, 25k SYN/s and as fast as the TX-ring generator goes), with an
established flow of the flooder's and one of a bystander's open: the engines keep their
PIDs, the bystanders answer ping across both engines with no loss and open new TCP
connections, both established flows keep flowing, the sender's allowance refuses what
exceeds it, and the engines' memory stays bounded. Behaviour only: no speed is asserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.hostile import (
    PORT,
    HostileBed,
    engine_counters,
    engine_pids,
    hostile_config,
    ping,
    probe,
    result_of,
    rss_bytes,
    servers,
    started_stream,
    syn_flood,
)
from realnet import require_root, topology_up, vm_ns

pytestmark = [pytest.mark.netns, pytest.mark.xdist_group("hostile_flood")]

FLOOD_S = 3.0
RSS_GROWTH_BOUND = 512 << 20  # conntrack and flow tables at capacity stay far below


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileBed]:
    require_root()
    workdir: Path = tmp_path_factory.mktemp("hostile")
    with topology_up(hostile_config(), workdir) as topo:
        bed = HostileBed(topo, {eni: vm_ns(topo, eni) for eni in
                                ("eni-flooder", "eni-quiet-1", "eni-target", "eni-quiet-2")})
        with servers(bed):
            yield bed


@pytest.mark.parametrize("rate", [8_000, 25_000, None], ids=["8k", "25k", "full"])
def test_bystanders_do_not_notice_a_connection_flood(bed: HostileBed,
                                                     rate: int | None) -> None:
    pids = engine_pids(bed.topo)
    rss_before = {host: rss_bytes(pid) for host, pid in pids.items()}
    streams = [started_stream(bed.netns["eni-flooder"], bed.ip("eni-target"), FLOOD_S + 1),
               started_stream(bed.netns["eni-quiet-1"], bed.ip("eni-quiet-2"), FLOOD_S + 1)]
    flood = syn_flood(bed, FLOOD_S, rate)
    connects = probe(bed.netns["eni-quiet-1"], "connect", "--ip", bed.ip("eni-quiet-2"),
                     "--port", str(PORT), "--count", "5", "--timeout", "10")  # opens, however late
    pinged = ping(bed.netns["eni-quiet-2"], bed.ip("eni-quiet-1"), 50, 0.02)
    opened = result_of(connects, 90)
    offered = result_of(flood, FLOOD_S + 30)
    established = [result_of(stream, FLOOD_S + 30) for stream in streams]

    assert offered.get("submitted", 0) > 0, offered
    assert engine_pids(bed.topo) == pids
    assert pinged["loss"] == 0, pinged
    assert opened == opened | {"ok": 5, "failed": 0}, opened
    for flow in established:
        assert flow.get("round_trips", 0) > 0 and flow.get("failures") == 0, flow
    for host, pid in pids.items():
        assert rss_bytes(pid) - rss_before[host] < RSS_GROWTH_BOUND


def test_the_sender_refuses_openings_beyond_the_allowance(bed: HostileBed) -> None:
    """A full-speed flood exceeds the default allowance: the flooder's host says so."""
    before = engine_counters(bed.topo)[0]["eni-flooder"].get("new_flow_allowance_exceeded", 0)
    result_of(syn_flood(bed, 2.0, None), 40)
    counters, _ = engine_counters(bed.topo)
    assert counters["eni-flooder"].get("new_flow_allowance_exceeded", 0) > before
    assert "new_flow_allowance_exceeded" not in counters["eni-quiet-1"]
