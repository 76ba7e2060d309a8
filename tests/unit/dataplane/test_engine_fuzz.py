"""Random bytes and mutated valid frames into both sides of a host engine (issue requirement):
never an exception; every frame is forwarded, answered on the host (ARP/ND, services), or
dropped and counted under a named stage and reason — and the counts add up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dp_support import frames_for, inner_to, make_cloud, underlay_frame
from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.verdict import DROP_STAGES
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from smartnic.packet import build_arp, build_neighbor_solicitation, ip_to_int

POLICY = {"security_groups": [
    {"id": "sg-a", "ingress": [{"proto": "tcp", "ports": "22", "peer": "10.0.0.0/16"},
                               {"proto": "udp", "ports": "53", "peer": "0.0.0.0/0"},
                               {"proto": "icmpv6", "peer": "::/0"}]},
    {"id": "sg-c", "ingress": [{"proto": "all", "peer": "10.0.1.0/24"}]}]}


def _vm_corpus(cloud: Cloud) -> list[bytes]:
    eni = cloud.program.enis["eni-a"]
    sends = [dict(dst="10.0.2.30", proto="tcp", dport=80, flags="S"),
             dict(dst="10.0.2.30", proto="udp", dport=53),
             dict(dst="10.0.1.20", proto="icmp", icmp_type=8),
             dict(dst="2001:db8:1234:1a02::30", proto="icmpv6", icmp_type=128),
             dict(dst="2001:db8:1234:1a01::20", proto="tcp", dport=22, flags="SA"),
             dict(dst="10.0.0.2", proto="udp", dport=53),
             dict(dst="192.0.2.1", proto="tcp", dport=443, flags="S"),
             dict(dst="10.0.2.30", proto=47, length=60)]
    frames = [f for spec in sends for f in frames_for(cloud, src_eni="eni-a", sport=40000, **spec)]
    frames += frames_for(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", dport=80,
                         flags="PA", length=1200, fragment_size=600, sport=40001)
    frames.append(build_arp(op=1, sender_mac=eni.mac, sender_ip=eni.primary_ipv4,
                            target_mac=bytes(6), target_ip=ip_to_int("10.0.1.1")[1],
                            eth_dst=b"\xff" * 6))
    frames.append(build_neighbor_solicitation(src_mac=eni.mac, src_ip=min(eni.ipv6),
                                              target_ip=ip_to_int("2001:db8:1234:1a01::1")[1]))
    return frames


def _underlay_corpus(cloud: Cloud) -> list[bytes]:
    program = cloud.program
    ips = {h: v.underlay_ip for h, v in program.hosts.items()}
    corpus = []
    for spec in (dict(dst="10.0.1.10", proto="tcp", dport=22, flags="S"),
                 dict(dst="10.0.1.10", proto="udp", dport=53),
                 dict(dst="2001:db8:1234:1a01::10", proto="icmpv6", icmp_type=128)):
        for frame in frames_for(cloud, src_eni="eni-c", sport=40000, **spec):
            for kind in ("vxlan", "geneve"):
                corpus.append(underlay_frame(
                    cloud, inner_to(cloud, frame, "eni-a"), src_ip=ips["host-3"],
                    dst_ip=ips["host-1"], vni=program.vpcs["vpc-a"].vni,
                    sender_tag=program.enis["eni-c"].tag, kind=kind))
    return corpus


@pytest.fixture(scope="module")
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1(POLICY))


@st.composite
def mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    frame = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(frame) - 1)))
        if action == "flip" and frame:
            frame[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and frame:
            frame[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del frame[at:]
        elif action == "insert":
            frame[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del frame[at:at + draw(st.integers(1, 8))]
    return bytes(frame)


def _frames(corpus: list[bytes]) -> st.SearchStrategy[list[bytes]]:
    one = st.binary(max_size=160) | mutated(corpus) | st.builds(
        lambda f, cut, tail: f[:cut] + tail, st.sampled_from(corpus), st.integers(0, 80),
        st.binary(max_size=64))
    return st.lists(one, min_size=1, max_size=6)


def _account(engine: HostEngine, frames: list[bytes], run: Callable[[], object]) -> Counter[str]:
    assert engine.journal is not None
    engine.journal.clear()
    before = engine.ctx.counters.snapshot()
    run()  # must not raise
    events = list(engine.journal)
    assert len(events) == len(frames), "one journal event per frame"
    kinds: Counter[str] = Counter()
    drops: Counter[tuple[str, str]] = Counter()
    for event in events:
        if event.drop is not None:
            assert event.drop.stage in DROP_STAGES and event.drop.reason, event.drop
            drops[(event.drop.stage, event.drop.reason)] += 1
            kinds["dropped"] += 1
        elif event.hops and event.hops[0].stage == "l2":
            kinds["l2"] += 1
        elif event.delivered_to and event.delivered_to.startswith("service:"):
            kinds["service"] += 1
        else:
            assert event.emitted_on, f"neither forwarded nor dropped: {event}"
            kinds["forwarded"] += 1
    assert sum(kinds.values()) == len(frames)
    after = engine.ctx.counters.snapshot()
    counted: Counter[tuple[str, str]] = Counter()
    for scope, names in after.items():
        for name, value in names.items():
            if name.startswith("drop.") and value > before.get(scope, {}).get(name, 0):
                _, stage, reason = name.split(".", 2)
                counted[(stage, reason)] += value - before.get(scope, {}).get(name, 0)
    assert counted == drops
    l2_before = sum(s.get("l2_answered", 0) + s.get("l2_absorbed", 0) for s in before.values())
    l2_after = sum(s.get("l2_answered", 0) + s.get("l2_absorbed", 0) for s in after.values())
    assert l2_after - l2_before == kinds["l2"]
    return kinds


FUZZ = settings(max_examples=500, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def test_vm_side_fuzz(cloud: Cloud) -> None:
    engine = cloud.hosts["host-1"]
    corpus = _vm_corpus(cloud)

    @FUZZ
    @given(frames=_frames(corpus))
    def check(frames: list[bytes]) -> None:
        _account(engine, frames, lambda: engine.process_vm_batch("eni-a", frames))

    check()


def test_underlay_side_fuzz(cloud: Cloud) -> None:
    engine = cloud.hosts["host-1"]
    corpus = _underlay_corpus(cloud)
    assert all(engine.process_underlay_batch([f]) for f in corpus[:2])  # the corpus is valid

    @FUZZ
    @given(frames=_frames(corpus))
    def check(frames: list[bytes]) -> None:
        _account(engine, frames, lambda: engine.process_underlay_batch(frames))

    check()


def test_corpus_frames_are_each_accounted(build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1(POLICY))
    engine = cloud.hosts["host-1"]
    vm = _vm_corpus(cloud)
    kinds = _account(engine, vm, lambda: engine.process_vm_batch("eni-a", vm))
    assert (kinds["l2"], kinds["service"]) == (2, 1)  # ARP + NS; Amazon DNS at VPC base + 2
    assert kinds["forwarded"] >= 8 and kinds["dropped"] >= 1  # 192.0.2.1 has no route
    underlay = _underlay_corpus(cloud)
    kinds = _account(engine, underlay, lambda: engine.process_underlay_batch(underlay))
    assert kinds["forwarded"] == len(underlay)
