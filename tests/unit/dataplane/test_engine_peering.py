"""VPC peering: delivery across an active peering, no transitive or edge-to-edge routing,
routes needed on both sides, SG references to the peer's groups (RT-R10, PEER-002/3/5)."""

from __future__ import annotations

from typing import Any

import pytest

from dp_support import frames_for, make_cloud, send
from smartnic.dataplane.runner import underlay_mac
from smartnic.model import deep_merge, load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import encapsulate

_OPEN_NACL = {"ingress": [{"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}],
              "egress": [{"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}]}


def _vpc(name: str, second_octet: int) -> dict[str, Any]:
    return {"vpc": {"id": f"vpc-{name}", "cidrs": [f"10.{second_octet}.0.0/16"],
                    "default_nacl": f"acl-{name}", "main_route_table": f"rtb-{name}"},
            "subnet": {"id": f"subnet-{name}", "vpc": f"vpc-{name}",
                       "cidr": f"10.{second_octet}.1.0/24"},
            "sg": {"id": f"sg-{name}", "vpc": f"vpc-{name}",
                   "ingress": [{"proto": "all", "peer": "10.0.0.0/8"}]},
            "nacl": {"id": f"acl-{name}", "vpc": f"vpc-{name}", **_OPEN_NACL},
            "eni": {"id": f"eni-{name}", "subnet": f"subnet-{name}",
                    "ips": [f"10.{second_octet}.1.10"], "sgs": [f"sg-{name}"]}}


PARTS = [_vpc("a", 0), _vpc("b", 1), _vpc("c", 2)]
T2: dict[str, Any] = {
    "vpcs": [p["vpc"] for p in PARTS], "subnets": [p["subnet"] for p in PARTS],
    "security_groups": [p["sg"] for p in PARTS], "nacls": [p["nacl"] for p in PARTS],
    "enis": [p["eni"] for p in PARTS],
    "igws": [{"id": "igw-a", "vpc": "vpc-a"}],
    "peerings": [{"id": "pcx-ab", "a": "vpc-a", "b": "vpc-b", "state": "active"},
                 {"id": "pcx-ac", "a": "vpc-a", "b": "vpc-c", "state": "active"}],
    "route_tables": [
        {"id": "rtb-a", "vpc": "vpc-a", "main": True, "routes": [
            {"dst": "10.1.0.0/16", "target": "pcx-ab"}, {"dst": "10.2.0.0/16", "target": "pcx-ac"},
            {"dst": "0.0.0.0/0", "target": "igw-a"}]},
        {"id": "rtb-b", "vpc": "vpc-b", "main": True, "routes": [
            {"dst": "10.0.0.0/8", "target": "pcx-ab"}, {"dst": "0.0.0.0/0", "target": "pcx-ab"}]},
        {"id": "rtb-c", "vpc": "vpc-c", "main": True, "routes": [
            {"dst": "10.0.0.0/16", "target": "pcx-ac"}]},
    ],
    "hosts": [{"id": "host-1", "enis": ["eni-a"]}, {"id": "host-2", "enis": ["eni-b"]},
              {"id": "host-3", "enis": ["eni-c"]}],
}


def _cloud(patch: dict[str, Any] | None = None) -> Cloud:
    return make_cloud(load_config(deep_merge(T2, patch or {})))


def _tcp(src_eni: str, dst: str, sport: int = 40000, flags: str = "S") -> dict[str, Any]:
    return dict(src_eni=src_eni, dst=dst, proto="tcp", sport=sport, dport=80, flags=flags)


def test_delivery_across_an_active_peering_both_ways_rt_r10() -> None:
    cloud = _cloud()
    assert send(cloud, **_tcp("eni-a", "10.1.1.10")).to == "eni-b"
    assert send(cloud, **_tcp("eni-b", "10.0.1.10", sport=80, flags="SA")).to == "eni-a"
    assert send(cloud, **_tcp("eni-c", "10.0.1.10")).to == "eni-a"


def test_peering_is_not_transitive_rt_r10() -> None:
    journey = send(_cloud(), **_tcp("eni-b", "10.2.1.10"))
    assert journey.result == "dropped" and journey.drop.stage == "no_transit"


def test_no_edge_to_edge_through_the_peer_igw_rt_r10() -> None:
    journey = send(_cloud(), **_tcp("eni-b", "8.8.8.8"))
    assert journey.result == "dropped" and journey.drop.stage == "no_transit"
    assert journey.frames_to("internet") == []


def test_missing_return_route_drops_the_reply_peer_002() -> None:
    cloud = _cloud({"route_tables": [{"id": "rtb-c", "routes": []}]})
    assert send(cloud, **_tcp("eni-a", "10.2.1.10")).to == "eni-c"
    reply = send(cloud, **_tcp("eni-c", "10.0.1.10", sport=80, flags="SA"))
    assert reply.result == "dropped" and reply.drop.stage == "no_route"


def test_deleted_peering_turns_its_routes_into_blackholes_rt_r6() -> None:
    cloud = _cloud()
    assert send(cloud, **_tcp("eni-a", "10.1.1.10")).to == "eni-b"
    cloud.apply(load_config(deep_merge(T2, {"peerings": [{"id": "pcx-ab", "_delete": True}]})))
    journey = send(cloud, **_tcp("eni-a", "10.1.1.10", sport=40001))
    assert journey.result == "dropped" and journey.drop.stage == "route_blackhole"


def test_sg_can_reference_a_group_of_the_peer_vpc_peer_005() -> None:
    cloud = _cloud({"security_groups": [
        {"id": "sg-b", "ingress": [{"proto": "tcp", "ports": "80",
                                    "peer": "123456789010/sg-a"}]}]})
    assert send(cloud, **_tcp("eni-a", "10.1.1.10")).to == "eni-b"
    journey = send(cloud, **_tcp("eni-c", "10.0.1.10"))  # control: c -> a still allowed
    assert journey.to == "eni-a"


@pytest.mark.parametrize(("vni_of", "expected"), [("vpc-a", "eni-b"), ("vpc-c", None)])
def test_receiver_refuses_a_vni_without_peering_to_its_vpc(vni_of: str, expected: str | None
                                                          ) -> None:
    """A frame from host-1 into eni-b is accepted on vpc-a's VNI (peered), not on vpc-c's."""
    cloud = _cloud({"hosts": [{"id": "host-1", "enis": ["eni-a", "eni-c"]},
                              {"id": "host-3", "enis": []}]})
    program, receiver = cloud.program, cloud.hosts["host-2"]
    sender = program.enis["eni-a" if vni_of == "vpc-a" else "eni-c"]
    inner = _inner(cloud, sender.id, "10.1.1.10")
    frame = encapsulate(inner, kind="vxlan", vni=program.vpcs[vni_of].vni,
                        outer_src_mac=underlay_mac(program.hosts["host-1"].underlay_ip),
                        outer_dst_mac=underlay_mac(program.hosts["host-2"].underlay_ip),
                        outer_src_ip=program.hosts["host-1"].underlay_ip,
                        outer_dst_ip=program.hosts["host-2"].underlay_ip,
                        udp_src_port=50000, sender_tag=sender.tag)
    out = receiver.process_underlay_batch([frame])
    if expected:
        assert [e.port for e in out] == [f"vm:{expected}"]
    else:
        assert out == []
        # eni-c's own route table has no route to 10.1.1.10: no peering path (RT-R10)
        assert receiver.eni_counters("eni-b")["drop.decap.no_route_over_peering"] == 1


def _inner(cloud: Cloud, src_eni: str, dst: str) -> bytes:
    """An inner frame as a sending host puts it on the wire to eni-b (router MAC rewrite)."""
    frame, = frames_for(cloud, **_tcp(src_eni, dst))
    return cloud.program.enis["eni-b"].mac + cloud.program.vpcs["vpc-b"].router_mac + frame[12:]
