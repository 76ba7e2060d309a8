"""Layer-2 spoofing from a VM: forged source MACs and addresses, gratuitous ARP and ARP
replies claiming another VM's address, IPv6 router and neighbour advertisements, redirects.
None reaches another VM or changes where another VM's traffic goes (the engine learns
nothing from a VM and floods nothing, ENI-R5); each is counted with a named reason. The
fast path hands them all to the slow path, which decides exactly as alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
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

from dp_support import make_cloud
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from tests.unit.fastpath.fp_world import World

OPEN = {"security_groups": [
    {"id": sg, "ingress": [{"proto": "all", "peer": "0.0.0.0/0"}, {"proto": "all", "peer": "::/0"}]}
    for sg in ("sg-a", "sg-b", "sg-c")],
    # eni-d: a third VM of subnet-1, on host-3, that resolves and reaches eni-b
    "enis": [{"id": "eni-d", "subnet": "subnet-1", "ips": ["10.0.1.30"],
              "ipv6": ["2001:db8:1234:1a01::30"], "sgs": ["sg-c"]}],
    "hosts": [{"id": "host-3", "enis": ["eni-c", "eni-d"]}]}
BROADCAST = "ff:ff:ff:ff:ff:ff"


@pytest.fixture
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1(OPEN))


def mac(cloud: Cloud, eni: str) -> str:
    return cloud.program.enis[eni].mac.hex(":")


def router_mac(cloud: Cloud) -> str:
    return cloud.program.vpcs["vpc-a"].router_mac.hex(":")


def attacks(cloud: Cloud) -> dict[str, tuple[bytes, tuple[str, str]]]:
    """What eni-a (10.0.1.10) might send to take eni-b's (10.0.1.20) traffic or the
    router's role: each frame and the drop it must be counted as on eni-a."""
    a, b = mac(cloud, "eni-a"), mac(cloud, "eni-b")
    udp = UDP(sport=1, dport=2) / b"x"
    garp = Ether(src=a, dst=BROADCAST) / ARP(op=1, hwsrc=a, psrc="10.0.1.20", pdst="10.0.1.20")
    reply = Ether(src=a, dst=b) / ARP(op=2, hwsrc=a, psrc="10.0.1.1", hwdst=b, pdst="10.0.1.20")
    spoofed_request = Ether(src=a, dst=BROADCAST) / ARP(op=1, hwsrc=a, psrc="10.0.1.20",
                                                         pdst="10.0.1.30")
    lying_hwsrc = Ether(src=a, dst=BROADCAST) / ARP(op=1, hwsrc=b, psrc="10.0.1.10",
                                                     pdst="10.0.1.30")
    v6 = IPv6(src="fe80::a", dst="ff02::1", hlim=255)
    ra = Ether(src=a, dst="33:33:00:00:00:01") / v6 / ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(
        prefix="2001:db8:bad::", prefixlen=64)
    unicast_ra = Ether(src=a, dst=router_mac(cloud)) / IPv6(
        src="2001:db8:1234:1a01::10", dst="2001:db8:1234:1a01::20", hlim=255) / ICMPv6ND_RA()
    na = Ether(src=a, dst="33:33:00:00:00:01") / v6 / ICMPv6ND_NA(
        tgt="2001:db8:1234:1a01::20", R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=a)
    redirect = Ether(src=a, dst=router_mac(cloud)) / IPv6(
        src="fe80::a", dst="2001:db8:1234:1a01::30", hlim=255) / ICMPv6ND_Redirect(
        tgt="fe80::a", dst="2001:db8:1234:1a01::20")
    return {
        "source_mac": (bytes(Ether(src=b, dst=router_mac(cloud)) / IP(
            src="10.0.1.10", dst="10.0.2.30") / udp), ("src_dst_check", "source_mac_not_owned")),
        "source_ip": (bytes(Ether(src=a, dst=router_mac(cloud)) / IP(
            src="10.0.1.20", dst="10.0.2.30") / udp), ("src_dst_check", "source_not_owned")),
        "gratuitous_arp": (bytes(garp), ("l2", "arp_sender_not_owned")),
        "arp_reply": (bytes(reply), ("l2", "arp_sender_not_owned")),
        "arp_request_as_b": (bytes(spoofed_request), ("l2", "arp_sender_not_owned")),
        "arp_lying_hwsrc": (bytes(lying_hwsrc), ("l2", "arp_sender_not_owned")),
        "router_advertisement": (bytes(ra), ("l2", "router_advertisement")),
        "unicast_router_advertisement": (bytes(unicast_ra), ("l2", "router_advertisement")),
        "neighbor_advertisement": (bytes(na), ("l2", "neighbor_advertisement_not_owned")),
        "redirect": (bytes(redirect), ("l2", "redirect")),
    }


NAMES = ["source_mac", "source_ip", "gratuitous_arp", "arp_reply", "arp_request_as_b",
         "arp_lying_hwsrc", "router_advertisement", "unicast_router_advertisement",
         "neighbor_advertisement", "redirect"]


@pytest.mark.parametrize("name", NAMES)
def test_each_spoofing_frame_is_dropped_and_counted_by_name(cloud: Cloud, name: str) -> None:
    frame, (stage, reason) = attacks(cloud)[name]
    journey = cloud.send_from_vm("eni-a", frame)
    assert journey.received == []
    assert cloud.underlay.pending() == 0
    counters = cloud.eni_counters("eni-a")
    assert counters[f"drop.{stage}.{reason}"] == 1 and counters["drops"] == 1
    assert "l2_answered" not in counters and "l2_absorbed" not in counters


def test_after_every_attack_eni_b_still_gets_its_own_traffic(cloud: Cloud) -> None:
    for frame, _ in attacks(cloud).values():
        cloud.send_from_vm("eni-a", frame)
    d = mac(cloud, "eni-d")
    who_has_b = Ether(src=d, dst=BROADCAST) / ARP(op=1, hwsrc=d, psrc="10.0.1.30",
                                                  pdst="10.0.1.20")
    answer = cloud.send_from_vm("eni-d", bytes(who_has_b)).frames_to("eni-d")
    assert [Ether(f)[ARP].hwsrc for f in answer] == [mac(cloud, "eni-b")]
    to_b = Ether(src=d, dst=mac(cloud, "eni-b")) / IP(src="10.0.1.30", dst="10.0.1.20") / UDP(
        sport=7, dport=8) / b"for b"
    assert cloud.send_from_vm("eni-d", bytes(to_b)).to == "eni-b"
    to_b6 = Ether(src=d, dst=mac(cloud, "eni-b")) / IPv6(
        src="2001:db8:1234:1a01::30", dst="2001:db8:1234:1a01::20") / UDP(sport=7, dport=8)
    assert cloud.send_from_vm("eni-d", bytes(to_b6)).to == "eni-b"
    off_link = Ether(src=d, dst=router_mac(cloud)) / IP(src="10.0.1.30", dst="10.0.2.30") / UDP(
        sport=7, dport=8)
    assert cloud.send_from_vm("eni-d", bytes(off_link)).to == "eni-c"
    assert cloud.vms["eni-a"].received == []


def test_announcing_its_own_address_is_absorbed_not_a_drop(cloud: Cloud) -> None:
    a = mac(cloud, "eni-a")
    own = [Ether(src=a, dst=BROADCAST) / ARP(op=1, hwsrc=a, psrc="10.0.1.10", pdst="10.0.1.10"),
           Ether(src=a, dst=BROADCAST) / ARP(op=1, hwsrc=a, psrc="0.0.0.0", pdst="10.0.1.10"),
           Ether(src=a, dst="33:33:00:00:00:01") / IPv6(src="fe80::a", dst="ff02::1", hlim=255)
           / ICMPv6ND_NA(tgt="2001:db8:1234:1a01::10", O=1) / ICMPv6NDOptDstLLAddr(lladdr=a)]
    for frame in own:
        assert cloud.send_from_vm("eni-a", bytes(frame)).received == []
    counters = cloud.eni_counters("eni-a")
    assert counters["l2_absorbed"] == 3 and "drops" not in counters


def test_the_fast_path_decides_spoofing_exactly_as_the_python_path(
        build_t1: Callable[..., Config]) -> None:
    config = build_t1(OPEN)
    fast, slow = World(config, fastpath=True), World(config, fastpath=False)
    frames = [frame for frame, _ in attacks(make_cloud(config)).values()]
    assert fast.step([("eni-a", frames)]) == slow.step([("eni-a", frames)])
    assert fast.state() == slow.state()
    assert fast.state()["counters"]["host-1"]["eni-a"]["drops"] == len(frames)
