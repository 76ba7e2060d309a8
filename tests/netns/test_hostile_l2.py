"""A hostile VM on real ports: eni-1 writes forged frames on its own link (AF_PACKET, run
with `ip netns exec`) — another VM's source MAC or address, gratuitous ARP and ARP replies
claiming eni-2's address, IPv6 router advertisements, neighbour advertisements for eni-2's
address, redirects. Captures in eni-2 and eni-3 see none of it, eni-3 still reaches eni-2
(its neighbour tables keep eni-2's MAC), and `smartnic counters` shows each named drop on
eni-1.

Topology: vpc-a, one subnet (IPv4 + IPv6); eni-1 (the attacker) and eni-3 on host-1,
eni-2 on host-2. Security groups let everything in from the VPC.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hostile import captured, send_raw
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import (
    ICMPv6ND_NA,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptPrefixInfo,
    IPv6,
)
from scapy.layers.l2 import ARP, Ether

from realnet import capture, eni_counters, ping, require_root, sh, topology_up, vm_ns
from smartnic.net.linux.names import VM_DEVICE
from smartnic.runtime import orchestrate as orch

pytestmark = [pytest.mark.netns, pytest.mark.xdist_group("hostile_l2")]

PORT = 9999
_VPC_IN = [{"proto": "all", "peer": "10.0.0.0/16"}, {"proto": "all", "peer": "::/0"}]
CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"], "ipv6_cidrs": ["2001:db8:a::/56"]}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24",
                 "ipv6_cidr": "2001:db8:a:1::/64"}],
    "security_groups": [{"id": "sg-open", "vpc": "vpc-a", "ingress": _VPC_IN,
                         "egress": [{"proto": "all", "peer": "0.0.0.0/0"},
                                    {"proto": "all", "peer": "::/0"}]}],
    "enis": [{"id": f"eni-{n}", "subnet": "subnet-1", "ips": [f"10.0.1.{n}0"],
              "ipv6": [f"2001:db8:a:1::{n}0"], "mac": f"02:00:00:00:01:{n}0",
              "sgs": ["sg-open"]} for n in (1, 2, 3)],
    "hosts": [{"id": "host-1", "enis": ["eni-1", "eni-3"]}, {"id": "host-2", "enis": ["eni-2"]}],
}
ATTACKER, VICTIM, CLIENT = "02:00:00:00:01:10", "02:00:00:00:01:20", "02:00:00:00:01:30"


def attacks() -> dict[str, tuple[bytes, str]]:
    """Each forged frame and the counter it must grow on eni-1."""
    udp = UDP(sport=1, dport=PORT) / b"forged"
    all_nodes = "33:33:00:00:00:01"
    link_local = IPv6(src="fe80::10", dst="ff02::1", hlim=255)
    frames = {
        "src_dst_check.source_mac_not_owned":
            Ether(src=VICTIM, dst=CLIENT) / IP(src="10.0.1.20", dst="10.0.1.30") / udp,
        "src_dst_check.source_not_owned":
            Ether(src=ATTACKER, dst=CLIENT) / IP(src="10.0.1.20", dst="10.0.1.30") / udp,
        "l2.arp_sender_not_owned":
            Ether(src=ATTACKER, dst="ff:ff:ff:ff:ff:ff") / ARP(
                op=1, hwsrc=ATTACKER, psrc="10.0.1.20", pdst="10.0.1.20"),
        "l2.router_advertisement":
            Ether(src=ATTACKER, dst=all_nodes) / link_local / ICMPv6ND_RA(routerlifetime=1800)
            / ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64),
        "l2.neighbor_advertisement_not_owned":
            Ether(src=ATTACKER, dst=all_nodes) / link_local / ICMPv6ND_NA(
                tgt="2001:db8:a:1::20", R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=ATTACKER),
        "l2.redirect":
            Ether(src=ATTACKER, dst=CLIENT) / IPv6(src="fe80::10", dst="2001:db8:a:1::30",
                                                   hlim=255)
            / ICMPv6ND_Redirect(tgt="fe80::10", dst="2001:db8:a:1::20"),
    }
    poison = Ether(src=ATTACKER, dst=CLIENT) / ARP(op=2, hwsrc=ATTACKER, psrc="10.0.1.20",
                                                  hwdst=CLIENT, pdst="10.0.1.30")
    out = {name: (bytes(frame), name) for name, frame in frames.items()}
    out["arp_reply_poisoning"] = (bytes(poison), "l2.arp_sender_not_owned")
    return out


def _forged_filter() -> str:
    """Frames only the attack could have produced."""
    mac = bytes.fromhex(ATTACKER.replace(":", ""))
    return (f"udp port {PORT} or (arp and arp[8:4] = 0x{mac[:4].hex()} and "
            f"arp[12:2] = 0x{mac[4:].hex()}) or (icmp6 and (ip6[40] = 134 or ip6[40] = 137))")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[orch.Topology]:
    require_root()
    with topology_up(CONFIG, tmp_path_factory.mktemp("hostile-l2")) as topo:
        assert ping(vm_ns(topo, "eni-3"), "10.0.1.20")  # neighbours resolved before
        assert ping(vm_ns(topo, "eni-3"), "2001:db8:a:1::20")
        yield topo


@pytest.mark.parametrize("name", sorted(attacks()))
def test_a_forged_frame_reaches_no_vm_and_is_counted(cloud: orch.Topology, name: str) -> None:
    frame, counter = attacks()[name]
    key = f"drop.{counter}"
    before = eni_counters(cloud, "eni-1").get(key, 0)
    with capture(vm_ns(cloud, "eni-2"), _forged_filter()) as victim, \
            capture(vm_ns(cloud, "eni-3"), _forged_filter()) as client:
        send_raw(vm_ns(cloud, "eni-1"), VM_DEVICE, [frame] * 2)
    assert captured(victim) == 0 and captured(client) == 0
    assert eni_counters(cloud, "eni-1").get(key, 0) - before == 2


def test_after_the_attacks_traffic_for_eni_2_still_reaches_eni_2(cloud: orch.Topology) -> None:
    send_raw(vm_ns(cloud, "eni-1"), VM_DEVICE, [frame for frame, _ in attacks().values()])
    client = vm_ns(cloud, "eni-3")
    with capture(vm_ns(cloud, "eni-1"), "icmp or (icmp6 and ip6[40] = 128)") as stolen:
        assert ping(client, "10.0.1.20") and ping(client, "2001:db8:a:1::20")
    assert captured(stolen) == 0  # not one echo request went to the attacker
    neighbours = sh(client, "ip", "neigh", "show").stdout + sh(client, "ip", "-6", "neigh",
                                                                  "show").stdout
    assert ATTACKER not in neighbours
    addresses = sh(client, "ip", "-6", "addr", "show").stdout
    routes = sh(client, "ip", "-6", "route", "show").stdout
    assert "2001:db8:bad" not in addresses + routes  # the advertised prefix never arrived
