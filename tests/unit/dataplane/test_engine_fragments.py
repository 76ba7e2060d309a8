"""IP fragments (spec §9 item 10, FRAG-001, implementation-defined): non-first fragments carry
no L4 header and follow the verdict of their datagram's first fragment; a non-first fragment
with no first fragment seen is dropped as `fragment_without_first`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from scapy.layers.inet import IP, TCP, defrag
from scapy.layers.l2 import Ether

from dp_support import frames_for, make_cloud
from smartnic.clock import VirtualClock
from smartnic.dataplane.flowtable import FRAGMENT_TIMEOUT_S
from smartnic.model import Config
from smartnic.net.cloud import Cloud

PORT_80 = {"security_groups": [{"id": "sg-c", "ingress": [
    {"proto": "tcp", "ports": "80", "peer": "10.0.1.0/24"}]}]}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def cloud(build_t1: Callable[..., Config], clock: VirtualClock) -> Cloud:
    return make_cloud(build_t1(PORT_80), clock)


def _fragments(cloud: Cloud, dport: int, ip_id: int) -> tuple[bytes, ...]:
    frames = frames_for(cloud, src_eni="eni-a", dst="10.0.2.30", proto="tcp", sport=40000,
                        dport=dport, flags="PA", length=3000, fragment_size=1500, ip_id=ip_id)
    assert len(frames) == 3
    return frames


def _ip_without_padding(frame: bytes) -> IP:
    ip = Ether(frame)[IP]
    return IP(bytes(ip)[:ip.len])


def test_fragments_of_an_allowed_flow_all_arrive_and_reassemble(cloud: Cloud) -> None:
    frames = _fragments(cloud, 80, ip_id=1)
    delivered = []
    for frame in frames:
        journey = cloud.send_from_vm("eni-a", frame)
        assert journey.to == "eni-c"
        delivered += journey.frames_to("eni-c")
    whole, = defrag([_ip_without_padding(f) for f in delivered])[1]
    original = Ether(frames[0])[IP]
    assert IP(bytes(whole))[TCP].dport == 80 and IP(bytes(whole)).len == 3000
    assert (whole.src, whole.dst) == (original.src, original.dst)


def test_fragments_of_a_refused_flow_are_all_dropped_at_the_same_stage(cloud: Cloud) -> None:
    for frame in _fragments(cloud, 23, ip_id=2):
        journey = cloud.send_from_vm("eni-a", frame)
        assert journey.result == "dropped"
        assert (journey.drop.stage, journey.drop.eni_id) == ("dst_sg_ingress", "eni-c")
    assert cloud.eni_counters("eni-c")["drop.dst_sg_ingress.no_matching_rule"] == 3


def test_non_first_fragments_are_not_judged_on_their_own(cloud: Cloud) -> None:
    """The first fragment's ports decide; the others carry none a rule could match."""
    frames = _fragments(cloud, 80, ip_id=3)
    cloud.send_from_vm("eni-a", frames[0])
    cloud.apply(cloud.config)  # a new generation must not orphan the datagram's fragments
    for frame in frames[1:]:
        assert cloud.send_from_vm("eni-a", frame).to == "eni-c"


@pytest.mark.parametrize("index", [1, 2])
def test_orphan_non_first_fragment_is_dropped(cloud: Cloud, index: int) -> None:
    journey = cloud.send_from_vm("eni-a", _fragments(cloud, 80, ip_id=4)[index])
    assert journey.result == "dropped"
    assert journey.drop.reason == "fragment_without_first"
    assert journey.received == []


def test_fragment_association_expires(cloud: Cloud, clock: VirtualClock) -> None:
    frames = _fragments(cloud, 80, ip_id=5)
    assert cloud.send_from_vm("eni-a", frames[0]).to == "eni-c"
    clock.advance(FRAGMENT_TIMEOUT_S + 1)
    late = cloud.send_from_vm("eni-a", frames[1])
    assert late.result == "dropped" and late.drop.reason == "fragment_without_first"


def test_fragments_of_different_datagrams_do_not_mix(cloud: Cloud) -> None:
    refused = _fragments(cloud, 23, ip_id=6)
    allowed = _fragments(cloud, 80, ip_id=7)
    cloud.send_from_vm("eni-a", refused[0])
    cloud.send_from_vm("eni-a", allowed[0])
    assert cloud.send_from_vm("eni-a", refused[1]).result == "dropped"
    assert cloud.send_from_vm("eni-a", allowed[1]).to == "eni-c"


def test_orphan_fragment_from_a_vm_is_counted_on_its_eni(cloud: Cloud) -> None:
    cloud.send_from_vm("eni-a", _fragments(cloud, 80, ip_id=8)[1])
    assert cloud.eni_counters("eni-a").get("drop.parse.fragment_without_first") == 1


def test_non_first_fragment_from_another_vm_does_not_ride_the_verdict_eni_r6(
        build_t1: Callable[..., Config]) -> None:
    cloud = make_cloud(build_t1({**PORT_80, "hosts": [
        {"id": "host-1", "enis": ["eni-a", "eni-b", "eni-fw"]}, {"id": "host-2", "enis": []}]}))
    frames = _fragments(cloud, 80, ip_id=77)
    assert cloud.send_from_vm("eni-a", frames[0]).to == "eni-c"
    # eni-b (source/destination check on) sends its own frame claiming eni-a's address
    forged = frames[1][:6] + cloud.program.enis["eni-b"].mac + frames[1][12:]
    journey = cloud.send_from_vm("eni-b", forged)
    assert journey.result == "dropped" and journey.frames_to("eni-c") == []
