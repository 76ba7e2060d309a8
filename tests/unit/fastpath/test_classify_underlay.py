"""Underlay classification: compiled kernels equal their interpreted twins, and agree with
`intake.receive` — what they accept is admitted by the slow path, addressed to a local ENI,
with the same key and inner frame, unless decap refuses the inner packet itself (checks
admission makes for new flows); what the slow path refuses otherwise, they never accept."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.compiler.sg import GATEWAY_TAG
from smartnic.dataplane import l2
from smartnic.dataplane.fastpath import PacketBatch, key_words
from smartnic.dataplane.fastpath import classify as c
from smartnic.dataplane.fastpath import parse as p
from smartnic.dataplane.fastpath.columns import I_END, I_IP_TOTAL, I_START, I_STATUS, INFO_COLUMNS
from smartnic.dataplane.fastpath.program_view import admission
from smartnic.dataplane.intake import receive
from smartnic.dataplane.keys import flow_key, underlay_origin
from smartnic.dataplane.verdict import Drop
from smartnic.model import Config
from smartnic.packet import build_frame
from tests.unit.fastpath.fp_frames import damaged, ip_frames, overlay
from tests.unit.fastpath.twins import interpreted

HOST = "host-2"
# decap's checks of the inner packet (its source, the sender's route, the gateway's rules):
# the classifier leaves them to admission, which decides new flows (decide.py)
ADMISSION_CHECKS = {("decap", reason) for reason in (
    "inner_source_not_owned", "not_on_sender_route", "no_route_over_peering",
    "peering_not_transitive", "no_internet_gateway", "gateway_source_inside_vpc",
    "not_on_gateway_route")}


@pytest.fixture(scope="module")
def program(build_t1: Callable[..., Config]) -> Program:
    return compile_program(build_t1(), 1)


def classify(program: Program, frames: list[bytes], *,
             twin: bool = False) -> tuple[np.ndarray, np.ndarray]:
    batch = PacketBatch.from_frames(frames)
    keys = np.zeros((len(frames), 8), np.uint64)
    info = np.zeros((INFO_COLUMNS, len(frames)), np.int64)
    adm = admission(program, HOST, program.hosts[HOST].underlay_ip)
    if twin:
        with interpreted():  # the kernel itself is swapped for its twin too
            c.classify_underlay(batch.buf, batch.start, batch.length, adm, keys, info)
    else:
        c.classify_underlay(batch.buf, batch.start, batch.length, adm, keys, info)
    return keys, info


@st.composite
def underlay_frames(draw: st.DrawFn, program: Program) -> bytes:
    hosts = [h.underlay_ip for h in program.hosts.values()]
    sender = draw(st.sampled_from(["eni-a", "eni-b", "eni-c"]))
    receiver = program.enis[draw(st.sampled_from(["eni-b", "eni-a"]))]
    tag = draw(st.sampled_from([program.enis[sender].tag, GATEWAY_TAG, 0, None, 4321]))
    inner = draw(ip_frames(eth_src=program.enis[sender].mac, eth_dst=receiver.mac)
                 .flatmap(damaged))
    frame = overlay(
        inner, kind=draw(st.sampled_from(["vxlan", "geneve"])),
        vni=draw(st.sampled_from([program.vpcs["vpc-a"].vni, 77])), tag=tag,
        src_ip=draw(st.sampled_from([*hosts, program.edge_underlay_ip, 0x01020304])),
        dst_ip=draw(st.sampled_from([program.hosts[HOST].underlay_ip, hosts[0]])))
    return draw(damaged(frame)) if draw(st.integers(0, 3)) == 0 else frame


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_compiled_equals_interpreted(program: Program, data: st.DataObject) -> None:
    frames = data.draw(st.lists(underlay_frames(program), min_size=1, max_size=5))
    compiled, twin = classify(program, frames), classify(program, frames, twin=True)
    assert np.array_equal(compiled[0], twin[0]) and np.array_equal(compiled[1], twin[1])


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_accepts_only_what_intake_admits_with_the_same_key(program: Program,
                                                            data: st.DataObject) -> None:
    frames = data.draw(st.lists(underlay_frames(program), min_size=8, max_size=8))
    keys, info = classify(program, frames)
    starts = PacketBatch.from_frames(frames).start
    own_ip = program.hosts[HOST].underlay_ip
    for i, frame in enumerate(frames):
        arrival = receive(program, own_ip, frame)
        if info[I_STATUS, i] != p.OK:
            continue
        if isinstance(arrival, Drop):  # what the sender may send: admission's to check
            assert (arrival.stage, arrival.reason) in ADMISSION_CHECKS, arrival
            continue
        pkt = arrival.pkt
        receiver = program.eni_by_mac[pkt.eth_dst]
        assert receiver.host_id == HOST and not l2.is_l2_control(pkt) and not pkt.is_fragment
        origin = underlay_origin(arrival.overlay.outer_src_ip, arrival.overlay.vni,
                                 arrival.sender_tag, receiver.tag)
        assert np.array_equal(keys[i], key_words(flow_key(origin, pkt)))
        inner = slice(info[I_START, i] - starts[i], info[I_END, i] - starts[i])
        assert frame[inner] == arrival.inner
        assert info[I_IP_TOTAL, i] == pkt.ip_total_length


def test_a_host_s_own_traffic_is_admitted(program: Program) -> None:
    sender, receiver = program.enis["eni-a"], program.enis["eni-b"]
    inner = build_frame(eth_src=sender.mac, eth_dst=receiver.mac, ip_version=4,
                        src_ip=sender.primary_ipv4, dst_ip=receiver.primary_ipv4, proto=17,
                        sport=40000, dport=53)
    frame = overlay(inner, kind="vxlan", vni=program.vpcs["vpc-a"].vni, tag=sender.tag,
                    src_ip=program.hosts["host-1"].underlay_ip,
                    dst_ip=program.hosts[HOST].underlay_ip)
    _, info = classify(program, [frame])
    assert info[I_STATUS, 0] == p.OK
