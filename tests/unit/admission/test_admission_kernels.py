"""CompiledPolicy kernels on T1 (tests/conftest.py): admitted, punted, refused; twins agree."""

from __future__ import annotations

from typing import Any

import numpy as np

from smartnic.clock import VirtualClock
from smartnic.dataplane.admission import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    CT_FULL,
    O_CODE,
    O_DST,
    O_DST_CT,
    O_MTU,
    O_PATH,
    O_SRC_CT,
    PUNT,
    CompiledPolicy,
    packet_columns,
)
from smartnic.dataplane.admission import decide as dk
from smartnic.dataplane.conntrack.table import SMALL_SWEEP_ROWS
from smartnic.model import load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import parse_frame
from smartnic.scenarios.sends import build_send
from tests.conftest import t1

OPEN_C = {"security_groups": [{"id": "sg-c", "ingress": [
    {"proto": "tcp", "ports": "80", "peer": "10.0.0.0/16"}]}]}
ALL_ON_HOST_1 = [{"id": "host-1", "enis": ["eni-a", "eni-b", "eni-c", "eni-fw"]},
                 {"id": "host-2", "enis": []}, {"id": "host-3", "enis": []}]


def _decide(cloud: Cloud, spec: dict[str, Any]) -> tuple[CompiledPolicy, np.ndarray]:
    eni = cloud.program.enis[spec["from"]]
    engine = cloud.hosts[eni.host_id]
    admission = CompiledPolicy(cloud.program, eni.host_id, engine.ctx.conntrack)
    meta, addr = packet_columns([parse_frame(build_send(cloud.program, spec).frames[0])])
    src = np.array([admission.eni_index[eni.id]], np.int64)
    return admission, admission.decide_vm(src, meta, addr, engine.ctx.clock.now())[0]


def _cloud(patch: dict[str, Any], hosts: list[dict[str, Any]] | None = None) -> Cloud:
    raw = t1(patch | ({"hosts": hosts} if hosts else {}))
    return Cloud(load_config(raw), VirtualClock(), responsive=False)


def test_new_tracked_flow_on_one_host_is_admitted_with_both_rows() -> None:
    cloud = _cloud(OPEN_C, ALL_ON_HOST_1)
    admission, out = _decide(cloud, {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp",
                                     "dport": 80, "flags": "S"})
    assert out[O_CODE] == ADMIT_LOCAL and admission.eni_ids[out[O_DST]] == "eni-c"
    assert (out[O_PATH], out[O_MTU]) == (1, 9001)
    assert out[O_SRC_CT] >= 0 and out[O_SRC_CT + 2] == 0  # created, original direction
    assert out[O_DST_CT] >= 0 and out[O_DST_CT + 2] == 0
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    assert len(conntrack.entries("eni-a")) == 1 and len(conntrack.entries("eni-c")) == 1


def test_cross_host_flow_is_admitted_remote_then_on_arrival() -> None:
    cloud = _cloud(OPEN_C)
    program = cloud.program
    admission, out = _decide(cloud, {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp",
                                     "dport": 80, "flags": "S"})
    assert out[O_CODE] == ADMIT_REMOTE and out[O_DST_CT] == -1
    receiver = program.enis["eni-c"]
    engine = cloud.hosts[receiver.host_id]
    here = CompiledPolicy(program, receiver.host_id, engine.ctx.conntrack)
    pkt = parse_frame(build_send(program, {"from": "eni-a", "dst": "10.0.2.30",
                                           "proto": "tcp", "dport": 80, "flags": "S"}).frames[0])
    meta, addr = packet_columns([pkt])
    one = np.ones(1, np.int64)
    arrived = here.decide_underlay(one * here.eni_index["eni-c"], one * here.eni_index["eni-a"],
                                   one * program.enis["eni-a"].tag, one * 0, one * 0, meta,
                                   addr, engine.ctx.clock.now())[0]
    assert arrived[O_CODE] == ADMIT_LOCAL and arrived[O_DST_CT] >= 0


def test_denied_service_and_gateway_traffic_is_punted_untouched() -> None:
    cloud = _cloud({}, ALL_ON_HOST_1)
    for spec in ({"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "dport": 22},  # SG
                 {"from": "eni-a", "dst": "10.0.0.2", "proto": "udp", "dport": 53},  # DNS
                 {"from": "eni-a", "dst": "192.168.1.1", "proto": "tcp", "dport": 80}):
        _, out = _decide(cloud, spec)
        assert out[O_CODE] == PUNT, spec
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    assert conntrack.entries("eni-a") == [] and conntrack.entries("eni-c") == []


def test_untracked_flow_takes_no_row_sg_r20() -> None:
    patch = {"security_groups": [{"id": "sg-c", "ingress": [
        {"proto": "tcp", "ports": "80", "peer": "0.0.0.0/0"}]}]}
    cloud = _cloud(patch, ALL_ON_HOST_1)
    _, out = _decide(cloud, {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp",
                             "dport": 80, "flags": "S"})
    assert out[O_CODE] == ADMIT_LOCAL and out[O_DST_CT] == -1 and out[O_SRC_CT] >= 0


def _fill(cloud: Cloud, count: int) -> None:
    """`count` new tracked connections from eni-a to eni-c, decided in one batch."""
    pkts = [parse_frame(build_send(cloud.program, {
        "from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "sport": 1 + n % 60000,
        "dport": 80 + n // 60000, "flags": "S"}).frames[0]) for n in range(count)]
    meta, addr = packet_columns(pkts)
    admission = CompiledPolicy(cloud.program, "host-1", cloud.hosts["host-1"].ctx.conntrack)
    src = np.full(count, admission.eni_index["eni-a"], np.int64)
    out = admission.decide_vm(src, meta, addr, cloud.clock.now())
    assert (out[:, O_CODE] == ADMIT_REMOTE).all()


def test_full_conntrack_after_a_recent_sweep_is_refused_and_counted() -> None:
    capacity = SMALL_SWEEP_ROWS + 1  # larger ENIs are swept at most once a second
    patch = dict(OPEN_C, enis=[{"id": "eni-a", "limits": {"conntrack_max": capacity}}])
    cloud = _cloud(patch)
    _fill(cloud, capacity)
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    conntrack.counters("eni-a", cloud.clock.now())  # sweeps (nothing expired)
    _, out = _decide(cloud, {"from": "eni-a", "dst": "10.0.2.30", "proto": "udp", "sport": 2,
                             "dport": 80})
    assert out[O_CODE] == CT_FULL
    assert conntrack.counters("eni-a", cloud.clock.now())["conntrack_allowance_exceeded"] == 1


def test_full_small_conntrack_asks_for_the_sweep_the_slow_path_would_make() -> None:
    patch = dict(OPEN_C, enis=[{"id": "eni-a", "limits": {"conntrack_max": 1}}])
    cloud = _cloud(patch)
    _fill(cloud, 1)
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    conntrack.counters("eni-a", cloud.clock.now())  # a sweep, at this instant
    send = {"from": "eni-a", "dst": "10.0.2.30", "proto": "udp", "sport": 2, "dport": 80}
    _, out = _decide(cloud, send)
    assert out[O_CODE] == CT_FULL  # swept at this very instant: a sweep frees nothing more
    cloud.clock.advance(0.5)
    _, out = _decide(cloud, send)
    assert out[O_CODE] == PUNT and out[dk.O_SWEEP] >= 0
    conntrack.sweep(int(out[dk.O_SWEEP]), cloud.clock.now())  # what the pre-pass then does
    _, out = _decide(cloud, send)
    assert out[O_CODE] == CT_FULL and out[dk.O_SWEEP] == -1


def test_a_key_with_an_expired_row_frees_it_and_is_decided_anew() -> None:
    """As ConntrackTable.lookup: the expired row goes, the packet opens a new connection."""
    cloud = _cloud(OPEN_C)
    spec = {"from": "eni-a", "dst": "10.0.2.30", "proto": "udp", "sport": 7, "dport": 80}
    _, first = _decide(cloud, spec)
    assert first[O_CODE] == ADMIT_REMOTE
    cloud.clock.advance(400.0)  # type: ignore[attr-defined]
    _, again = _decide(cloud, spec)
    assert again[O_CODE] == ADMIT_REMOTE
    assert again[O_SRC_CT + 1] != first[O_SRC_CT + 1] or again[O_SRC_CT] != first[O_SRC_CT]
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    assert len(conntrack.entries("eni-a")) == 1  # the expired row was freed, not kept


def _syn_then(cloud: Cloud, flags: str, sport: int = 40000) -> np.ndarray:
    spec = {"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "sport": sport,
            "dport": 80, "flags": flags}
    return _decide(cloud, spec)[1]


def _close_by_rst(cloud: Cloud, out: np.ndarray) -> None:
    """What replay does to the row of an admitted SYN when the sender resets it."""
    conntrack = cloud.hosts["host-1"].ctx.conntrack
    entry = next(e for e in conntrack.entries("eni-a") if e.row == out[O_SRC_CT])
    conntrack.touch(entry, False, 0x02, 60, cloud.clock.now())
    conntrack.touch(entry, False, 0x04, 40, cloud.clock.now())


def test_a_fresh_syn_on_a_reset_connection_reopens_it_in_the_kernel_sg_r24() -> None:
    cloud = _cloud(OPEN_C)
    first = _syn_then(cloud, "S")
    _close_by_rst(cloud, first)
    again = _syn_then(cloud, "S")  # the same 5-tuple: a port reused after the RST
    assert again[O_CODE] == ADMIT_REMOTE and again[dk.O_NEW] & dk.NEW_SENDER
    assert (again[O_SRC_CT], again[O_SRC_CT + 1]) != (first[O_SRC_CT], first[O_SRC_CT + 1])
    [entry] = cloud.hosts["host-1"].ctx.conntrack.entries("eni-a")
    assert entry.state == 0 and entry.packets_orig == 0  # a new connection, not yet touched


def test_a_reopen_on_a_full_eni_replaces_its_row_sg_r25() -> None:
    patch = dict(OPEN_C, enis=[{"id": "eni-a", "limits": {"conntrack_max": 1}}])
    cloud = _cloud(patch)
    first = _syn_then(cloud, "S")
    _close_by_rst(cloud, first)
    again = _syn_then(cloud, "S")
    assert again[O_CODE] == ADMIT_REMOTE  # the finished row makes the room it needs
    other = _syn_then(cloud, "S", sport=40001)
    assert other[O_CODE] != ADMIT_REMOTE  # a different tuple still meets the full ENI


def test_a_syn_on_a_connection_not_finished_continues_it() -> None:
    cloud = _cloud(OPEN_C)
    first = _syn_then(cloud, "S")
    again = _syn_then(cloud, "S")  # a retransmission: same row, original direction
    assert again[O_CODE] == ADMIT_REMOTE and again[dk.O_NEW] == 0
    assert (again[O_SRC_CT], again[O_SRC_CT + 1], again[O_SRC_CT + 2]) == (
        first[O_SRC_CT], first[O_SRC_CT + 1], 0)


def test_a_vm_sending_to_itself_punts() -> None:
    cloud = _cloud(OPEN_C, ALL_ON_HOST_1)
    _, out = _decide(cloud, {"from": "eni-a", "dst": "10.0.1.10", "proto": "udp", "dport": 80})
    assert out[O_CODE] == PUNT


def test_decide_kernel_matches_its_interpreted_twin() -> None:
    cloud = _cloud(OPEN_C, ALL_ON_HOST_1)
    specs = [{"from": "eni-a", "dst": "10.0.2.30", "proto": "tcp", "sport": s, "dport": d,
              "flags": "S"} for s, d in ((40000, 80), (40001, 22), (40002, 80))]
    pkts = [parse_frame(build_send(cloud.program, s).frames[0]) for s in specs]
    meta, addr = packet_columns(pkts)
    outs = []
    for decide in (dk.decide_vm, dk.decide_vm.py_func):
        twin = _cloud(OPEN_C, ALL_ON_HOST_1)
        engine = twin.hosts["host-1"]
        admission = CompiledPolicy(twin.program, "host-1", engine.ctx.conntrack)
        src = np.full(len(pkts), admission.eni_index["eni-a"], np.int64)
        out = np.zeros((len(pkts), dk.OUT_COLUMNS), np.int64)
        ct, index, free, top = engine.ctx.conntrack.bulk()
        decide(admission.tables, admission.local_host, admission.ct_eni_of, ct, index, free,
               top, engine.ctx.conntrack.tcp_columns, src, meta, addr, 0.0, out,
               np.zeros((5, 5), np.uint64), np.zeros((2, 2), np.int64))
        outs.append(out)
    assert (outs[0] == outs[1]).all()
    assert [o[O_CODE] for o in outs[0]] == [ADMIT_LOCAL, PUNT, ADMIT_LOCAL]
