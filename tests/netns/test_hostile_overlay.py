"""A hostile host on the real underlay: from host-1's underlay address, forged VXLAN and
Geneve datagrams (a Python UDP socket run with `ip netns exec`) at host-2's engine reach
no VM — a capture in the victim VM sees nothing — and `smartnic counters` shows each
named drop on the victim ENI, while honest traffic between the same VMs still flows.

Topology (one per overlay kind): host-1 holds eni-a1 (vpc-a) and eni-c1 (vpc-c); host-2
holds eni-a2 and eni-a3 (vpc-a, eni-a1's subnet) and eni-b1 (vpc-b). No peering: nothing
of vpc-a or vpc-c may reach eni-b1. Every security group lets UDP 9999 in from anywhere,
so only the overlay's checks stand between a forged datagram and the VM.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hostile import captured, send_udp
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from realnet import capture, eni_counters, ping, require_root, topology_up, vm_ns
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.runner import underlay_mac
from smartnic.model import load_config
from smartnic.packet import encapsulate
from smartnic.runtime import orchestrate as orch

pytestmark = [pytest.mark.netns, pytest.mark.xdist_group("hostile_overlay")]

PORT = 9999
_IN = [{"proto": "udp", "ports": str(PORT), "peer": "0.0.0.0/0"},
       {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/8"}]
_OUT = [{"proto": "all", "peer": "0.0.0.0/0"}]


def config(overlay: str) -> dict[str, Any]:
    vpcs = {"a": "10.0", "b": "10.1", "c": "10.2"}
    return {
        "overlay": overlay,
        "vpcs": [{"id": f"vpc-{v}", "cidrs": [f"{p}.0.0/16"]} for v, p in vpcs.items()],
        "subnets": [{"id": f"subnet-{v}", "vpc": f"vpc-{v}", "cidr": f"{p}.1.0/24"}
                    for v, p in vpcs.items()],
        "security_groups": [{"id": f"sg-{v}", "vpc": f"vpc-{v}", "ingress": _IN,
                             "egress": _OUT} for v in vpcs],
        "enis": [{"id": "eni-a1", "subnet": "subnet-a", "ips": ["10.0.1.10"], "sgs": ["sg-a"]},
                 {"id": "eni-a2", "subnet": "subnet-a", "ips": ["10.0.1.20"], "sgs": ["sg-a"]},
                 {"id": "eni-a3", "subnet": "subnet-a", "ips": ["10.0.1.30"], "sgs": ["sg-a"]},
                 {"id": "eni-b1", "subnet": "subnet-b", "ips": ["10.1.1.10"], "sgs": ["sg-b"]},
                 {"id": "eni-c1", "subnet": "subnet-c", "ips": ["10.2.1.10"], "sgs": ["sg-c"]}],
        "hosts": [{"id": "host-1", "enis": ["eni-a1", "eni-c1"]},
                  {"id": "host-2", "enis": ["eni-a2", "eni-a3", "eni-b1"]}],
    }


class Hostile:
    """host-1 turned hostile: it writes datagrams by hand instead of its engine."""

    def __init__(self, topo: orch.Topology, overlay: str) -> None:
        self.topo, self.overlay = topo, overlay
        self.program: Program = compile_program(load_config(config(overlay)), 1)
        hosts = topo.plan().hosts
        self.netns, self.source = hosts["host-1"].netns, hosts["host-1"].underlay_ip
        self.target = hosts["host-2"].underlay_ip
        self.port = 4789 if overlay == "vxlan" else 6081

    def datagram(self, *, vni_of: str, sender: str, src: str, to: str) -> bytes:
        """The UDP payload (overlay header + inner frame) of a datagram for ENI `to`."""
        program, receiver = self.program, self.program.enis[to]
        inner = bytes(Ether(dst=receiver.mac.hex(":"),
                            src=program.vpcs[receiver.vpc_id].router_mac.hex(":"))
                      / IP(src=src, dst=sorted(_text(a) for a in receiver.ipv4)[0])
                      / UDP(sport=40000, dport=PORT) / b"forged")
        source = program.hosts["host-1"].underlay_ip
        target = program.hosts["host-2"].underlay_ip
        frame = encapsulate(inner, kind=self.overlay,  # type: ignore[arg-type]
                            vni=program.vpcs[vni_of].vni, outer_src_mac=underlay_mac(source),
                            outer_dst_mac=underlay_mac(target), outer_src_ip=source,
                            outer_dst_ip=target, udp_src_port=50000,
                            sender_tag=program.enis[sender].tag)
        return frame[14 + 20 + 8:]

    def send(self, payloads: list[bytes]) -> None:
        send_udp(self.netns, self.source, self.target, self.port, payloads)


def _text(address: int) -> str:
    return ".".join(str(address >> s & 0xFF) for s in (24, 16, 8, 0))


@pytest.fixture(scope="module", params=["vxlan", "geneve"])
def hostile(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    require_root()
    overlay = request.param
    with topology_up(config(overlay), tmp_path_factory.mktemp(f"hostile-{overlay}")) as topo:
        yield Hostile(topo, overlay)


FORGERIES = {
    # the reported attack: eni-a1's identity (it lives on host-1) on vpc-b's VNI
    "sender_vpc_mismatch": dict(vni_of="vpc-b", sender="eni-a1", src="10.1.1.99", to="eni-b1"),
    # eni-a1's identity with eni-a3's address: eni-a2's answers would go to eni-a3
    "inner_source_not_owned": dict(vni_of="vpc-a", sender="eni-a1", src="10.0.1.30",
                                   to="eni-a2"),
    # an identity of vpc-c on vpc-a's VNI, with an address of vpc-a
    "sender_vpc_mismatch_c": dict(vni_of="vpc-a", sender="eni-c1", src="10.0.1.10",
                                  to="eni-a2"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_datagrams_reach_no_vm_and_are_counted(hostile: Hostile, name: str) -> None:
    forgery = FORGERIES[name]
    victim = str(forgery["to"])
    reason = name.removesuffix("_c")
    before = eni_counters(hostile.topo, victim).get(f"drop.decap.{reason}", 0)
    with capture(vm_ns(hostile.topo, victim), f"udp port {PORT}") as pcap, \
            capture(vm_ns(hostile.topo, "eni-a3"), "icmp or udp") as bystander:
        hostile.send([hostile.datagram(**forgery)] * 3)  # type: ignore[arg-type]
    assert captured(pcap) == 0
    assert captured(bystander) == 0  # no answer (nor port unreachable) to a forged source
    after = eni_counters(hostile.topo, victim).get(f"drop.decap.{reason}", 0)
    assert after - before == 3


def test_an_honest_datagram_from_the_same_socket_is_delivered(hostile: Hostile) -> None:
    """Control: the same hand-made datagram with eni-a1's own address reaches eni-a2, so
    the drops above are the checks' doing, not a broken sender."""
    honest = hostile.datagram(vni_of="vpc-a", sender="eni-a1", src="10.0.1.10", to="eni-a2")
    with capture(vm_ns(hostile.topo, "eni-a2"), f"udp port {PORT}") as pcap:
        hostile.send([honest])
    assert captured(pcap) >= 1


def test_legitimate_traffic_still_flows(hostile: Hostile) -> None:
    assert ping(vm_ns(hostile.topo, "eni-a1"), "10.0.1.20")
    assert ping(vm_ns(hostile.topo, "eni-a1"), "10.0.1.30")
