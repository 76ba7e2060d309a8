"""Isolation on the overlay: a host (or anyone on the underlay) that lies in a VXLAN/Geneve
datagram reaches no VM it could not reach honestly; each lie is dropped at `decap` with a
named reason, counted on the receiving ENI (intake.py). Also the sending side's source
check for interfaces with the check off (anti_spoof.py, ENI-R6, RT-R8)."""

from __future__ import annotations

from typing import Any

import pytest
from isolation_world import CONFIG
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import ICMPv6ND_RA, IPv6
from scapy.layers.l2 import Ether

from dp_support import make_cloud, send, underlay_frame
from smartnic.compiler.sg import GATEWAY_TAG
from smartnic.model import deep_merge, load_config
from smartnic.net.cloud import Cloud


@pytest.fixture
def cloud() -> Cloud:
    return make_cloud(load_config(CONFIG))


def _mac(cloud: Cloud, eni_id: str) -> str:
    return cloud.program.enis[eni_id].mac.hex(":")


def forge(cloud: Cloud, *, outer: str, vni_of: str, sender: str | int | None, src: str,
          dst: str, to: str, kind: str = "vxlan", src_mac: str = "02:99:99:99:99:99",
          inner: bytes | None = None) -> bytes:
    """A datagram from `outer` (a host id or "edge") for ENI `to`, claiming `sender` (an ENI
    id, a raw tag, or None for plain RFC 7348)."""
    program = cloud.program
    tag = program.enis[sender].tag if isinstance(sender, str) else sender
    receiver = program.enis[to]
    inner = inner or bytes(Ether(dst=_mac(cloud, to), src=src_mac) / IP(src=src, dst=dst)
                           / UDP(sport=40000, dport=80) / b"x")
    source = program.edge_underlay_ip if outer == "edge" else program.hosts[outer].underlay_ip
    return underlay_frame(cloud, inner, src_ip=source,
                          dst_ip=program.hosts[receiver.host_id].underlay_ip,
                          vni=program.vpcs[vni_of].vni, sender_tag=tag, kind=kind)


def outcome(cloud: Cloud, frame: bytes) -> tuple[list[str], dict[str, int]]:
    """Ports the receiving engine emitted on, and the drop counters that grew (per scope)."""
    receiver = cloud.program.host_by_underlay[int.from_bytes(frame[30:34], "big")]
    engine = cloud.hosts[receiver]
    before = engine.ctx.counters.snapshot()
    out = engine.process_underlay_batch([frame])
    after = engine.ctx.counters.snapshot()
    grown = {f"{scope}:{name}": value - before.get(scope, {}).get(name, 0)
             for scope, names in after.items() for name, value in names.items()
             if name.startswith("drop.") and value != before.get(scope, {}).get(name, 0)}
    return [e.port for e in out], grown


def assert_dropped(cloud: Cloud, frame: bytes, eni: str, reason: str) -> None:
    ports, grown = outcome(cloud, frame)
    assert ports == []
    assert grown == {f"{eni}:drop.decap.{reason}": 1}


@pytest.mark.parametrize("kind", ["vxlan", "geneve"])
def test_an_identity_of_one_vpc_does_not_open_another_vpcs_vni(cloud: Cloud, kind: str) -> None:
    """The reported attack: host-1 hosts eni-c1 (vpc-c) and sends vpc-a's VNI to eni-a4."""
    frame = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-c1", src="10.2.1.10",
                  dst="10.0.1.40", to="eni-a4", kind=kind)
    assert_dropped(cloud, frame, "eni-a4", "sender_vpc_mismatch")
    frame = forge(cloud, outer="host-1", vni_of="vpc-c", sender="eni-c1", src="10.2.1.10",
                  dst="10.2.1.20", to="eni-c2", kind=kind)
    assert outcome(cloud, frame)[0] == ["vm:eni-c2"]  # its own VPC: delivered


@pytest.mark.parametrize("kind", ["vxlan", "geneve"])
def test_a_forged_inner_source_is_refused_and_no_reply_goes_to_its_owner(
        cloud: Cloud, kind: str) -> None:
    """host-1 claims eni-a1 but writes eni-nat's address as the inner source: eni-b1 would
    answer eni-nat. Refused; the same datagram with eni-a1's own address is delivered."""
    frame = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-a1", src="10.0.3.31",
                  dst="10.1.1.10", to="eni-b1", kind=kind)
    assert_dropped(cloud, frame, "eni-b1", "inner_source_not_owned")
    genuine = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-a1", src="10.0.1.10",
                    dst="10.1.1.10", to="eni-b1", kind=kind)
    assert outcome(cloud, genuine)[0] == ["vm:eni-b1"]


def test_a_check_off_interface_may_not_pose_as_a_neighbour_unless_routes_target_it(
        cloud: Cloud) -> None:
    """eni-nat (check off, no route to it) may send an address nobody holds, not eni-a1's;
    eni-fw (check off, a route target) forwards eni-a1's traffic (RT-R8)."""
    nobody = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-nat", src="198.51.100.7",
                   dst="10.0.1.40", to="eni-a4")
    assert outcome(cloud, nobody)[0] == ["vm:eni-a4"]
    neighbour = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-nat",
                      src="10.0.1.10", dst="10.0.1.40", to="eni-a4")
    assert_dropped(cloud, neighbour, "eni-a4", "inner_source_not_owned")
    forwarded = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-fw", src="10.0.1.10",
                      dst="10.0.2.20", to="eni-a2")
    assert outcome(cloud, forwarded)[0] == ["vm:eni-a2"]


def test_the_sending_side_makes_the_same_source_check(cloud: Cloud) -> None:
    spec = dict(dst="10.0.1.40", proto="udp", sport=1, dport=2)
    journey = send(cloud, src_eni="eni-nat", src="10.0.1.10", **spec)
    assert (journey.drop.stage, journey.drop.reason) == (
        "src_dst_check", "source_of_another_interface")
    assert send(cloud, src_eni="eni-nat", src="198.51.100.7", **spec).to == "eni-a4"
    assert send(cloud, src_eni="eni-fw", src="10.0.1.10", **spec).to == "eni-a4"


def test_a_path_around_a_middlebox_route_is_refused_rt_r8(cloud: Cloud) -> None:
    """subnet-a1 reaches subnet-a2 only through eni-fw: eni-a1 straight to eni-a2 is a lie."""
    frame = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-a1", src="10.0.1.10",
                  dst="10.0.2.20", to="eni-a2")
    assert_dropped(cloud, frame, "eni-a2", "not_on_sender_route")
    assert send(cloud, src_eni="eni-a1", dst="10.0.2.20", proto="udp", sport=1,
                dport=2).to == "eni-fw"  # what host-1 really does


def test_a_peer_vpc_is_reached_only_over_the_senders_peering_route_rt_r10(
        cloud: Cloud) -> None:
    """vpc-b routes only subnet-a1 over pcx-ab: eni-b2 may reach eni-a4, not eni-a2."""
    ok = forge(cloud, outer="host-3", vni_of="vpc-b", sender="eni-b2", src="10.1.1.20",
               dst="10.0.1.40", to="eni-a4")
    assert outcome(cloud, ok)[0] == ["vm:eni-a4"]
    frame = forge(cloud, outer="host-3", vni_of="vpc-b", sender="eni-b2", src="10.1.1.20",
                  dst="10.0.2.20", to="eni-a2")
    assert_dropped(cloud, frame, "eni-a2", "no_route_over_peering")


def test_a_forwarder_does_not_carry_outside_traffic_across_a_peering_rt_r10() -> None:
    """eni-fw may forward, but across pcx-ab only sources of vpc-a (no transitive routing)."""
    config = deep_merge(CONFIG, {"route_tables": [{"id": "rtb-a-main", "routes": [
        {"dst": "0.0.0.0/0", "target": "igw-a"}, {"dst": "10.1.0.0/16", "target": "pcx-ab"}]}]})
    cloud = make_cloud(load_config(config))
    inside = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-fw", src="10.0.1.10",
                   dst="10.1.1.10", to="eni-b1")
    assert outcome(cloud, inside)[0] == ["vm:eni-b1"]
    outside = forge(cloud, outer="host-1", vni_of="vpc-a", sender="eni-fw",
                    src="203.0.113.9", dst="10.1.1.10", to="eni-b1")
    assert_dropped(cloud, outside, "eni-b1", "peering_not_transitive")


def test_internet_traffic_is_checked_as_the_gateway_would_send_it(cloud: Cloud) -> None:
    ok = forge(cloud, outer="edge", vni_of="vpc-a", sender=GATEWAY_TAG, src="203.0.113.5",
               dst="10.0.1.40", to="eni-a4")
    assert outcome(cloud, ok)[0] == ["vm:eni-a4"]
    no_igw = forge(cloud, outer="edge", vni_of="vpc-b", sender=GATEWAY_TAG,
                   src="203.0.113.5", dst="10.1.1.10", to="eni-b1")
    assert_dropped(cloud, no_igw, "eni-b1", "no_internet_gateway")
    insider = forge(cloud, outer="edge", vni_of="vpc-a", sender=GATEWAY_TAG, src="10.1.1.20",
                    dst="10.0.1.40", to="eni-a4")
    assert_dropped(cloud, insider, "eni-a4", "gateway_source_inside_vpc")
    elsewhere = forge(cloud, outer="edge", vni_of="vpc-a", sender=GATEWAY_TAG,
                      src="203.0.113.5", dst="10.0.1.10", to="eni-a4")
    assert_dropped(cloud, elsewhere, "eni-a4", "not_on_gateway_route")


def _to_gateway(cloud: Cloud, sender: str, src: str) -> bytes:
    """A datagram from host-1 to the edge for igw-a, claiming `sender` on vpc-a's VNI."""
    program = cloud.program
    inner = bytes(Ether(dst=program.gateway_macs["igw-a"].hex(":"), src="02:99:99:99:99:99")
                  / IP(src=src, dst="198.51.100.1") / UDP(sport=1, dport=2) / b"x")
    return underlay_frame(cloud, inner, src_ip=program.hosts["host-1"].underlay_ip,
                          dst_ip=program.edge_underlay_ip, vni=program.vpcs["vpc-a"].vni,
                          sender_tag=program.enis[sender].tag)


@pytest.mark.parametrize(("sender", "src", "reason"), [
    ("eni-c1", "10.0.1.40", "sender_vpc_mismatch"),  # vpc-c has no gateway of its own
    ("eni-a2", "10.0.2.20", "sender_mismatch"),  # lives on host-2
    ("eni-a1", "10.0.1.10", "not_on_sender_route"),  # subnet-a1 has no default route
])
def test_the_edge_lets_out_only_what_the_sender_may_route_there(
        sender: str, src: str, reason: str) -> None:
    cloud = make_cloud(load_config(CONFIG))
    assert cloud.edge.from_underlay(_to_gateway(cloud, sender, src)) == []
    assert cloud.edge.counters.snapshot()["engine"] == {
        "decap": 1, f"drop.decap.{reason}": 1, "drops": 1}


def test_the_edge_lets_a_forwarder_out_through_its_subnets_gateway_route() -> None:
    """eni-fw (subnet-a3: 0.0.0.0/0 -> igw-a) forwards eni-a4's traffic: NAT to 54.0.0.40."""
    cloud = make_cloud(load_config(CONFIG))
    out = cloud.edge.from_underlay(_to_gateway(cloud, "eni-fw", "10.0.1.40"))
    assert [e.port for e in out] == ["internet"]
    assert IP(out[0].frame[14:]).src == "54.0.0.40"


def test_kernel_vxlan_hosts_are_held_to_the_same_source_rule(cloud: Cloud) -> None:
    """host-k sends plain RFC 7348: the sender is the ENI owning the inner source MAC."""
    mac = _mac(cloud, "eni-k")
    ok = forge(cloud, outer="host-k", vni_of="vpc-a", sender=None, src="10.0.1.50",
               dst="10.0.1.40", to="eni-a4", src_mac=mac)
    assert outcome(cloud, ok)[0] == ["vm:eni-a4"]
    lie = forge(cloud, outer="host-k", vni_of="vpc-a", sender=None, src="10.0.1.10",
                dst="10.0.1.40", to="eni-a4", src_mac=mac)
    assert_dropped(cloud, lie, "eni-a4", "inner_source_not_owned")
    other = forge(cloud, outer="host-k", vni_of="vpc-a", sender=None, src="10.0.1.50",
                  dst="10.0.1.40", to="eni-a4", src_mac=_mac(cloud, "eni-kx"))
    assert_dropped(cloud, other, "eni-a4", "inner_source_not_owned")  # cached flow or not


def test_neighbour_discovery_never_crosses_between_engines(cloud: Cloud) -> None:
    """Engines answer ND themselves: an RA over the overlay (even from the edge) is a lie."""
    ra = bytes(Ether(dst=_mac(cloud, "eni-a4"), src="02:99:99:99:99:99")
               / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA())
    for outer, sender in (("host-1", "eni-a1"), ("edge", GATEWAY_TAG)):
        frame = forge(cloud, outer=outer, vni_of="vpc-a", sender=sender, src="", dst="",
                      to="eni-a4", inner=ra)
        assert_dropped(cloud, frame, "eni-a4", "unexpected_neighbor_discovery")


def test_honest_traffic_is_delivered_and_nothing_is_dropped_at_decap() -> None:
    cloud = make_cloud(load_config(CONFIG))
    spec: dict[str, Any] = dict(proto="udp", sport=5, dport=6)
    assert send(cloud, src_eni="eni-a1", dst="10.1.1.10", **spec).to == "eni-b1"
    assert send(cloud, src_eni="eni-b2", dst="10.0.1.40", **spec).to == "eni-a4"
    assert send(cloud, src_eni="eni-a1", dst="10.0.1.40", **spec).to == "eni-a4"
    assert send(cloud, src_eni="eni-c1", dst="10.2.1.20", **spec).to == "eni-c2"
    assert send(cloud, src_eni="eni-a1", dst="10.0.2.20", **spec).to == "eni-fw"
    assert all("drops" not in counters for engine in [*cloud.hosts.values()]
               for counters in engine.ctx.counters.snapshot().values())
