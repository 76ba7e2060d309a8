"""The checked-in expectations are themselves checked against the specs with scapy, so a
regeneration cannot silently bless wrong output: RFC 7348 framing, VNI, sender identity,
router-rewritten inner MACs (ENI-R5), unchanged inner IP packets, and the drop cases."""

from __future__ import annotations

import json

from golden_cases import CASES, CONFIG, MAC, UNDERLAY, VNI
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.vxlan import VXLAN
from scapy.utils import RawPcapReader, checksum

from smartnic.compiler.compile import compile_program
from smartnic.model import load_config

CASE = {c.name: c for c in CASES}
PROGRAM = compile_program(load_config(CONFIG))
ROUTER_MAC = ":".join(f"{b:02x}" for b in PROGRAM.vpcs["vpc-a"].router_mac)


def _frames(name: str, kind: str) -> list[bytes]:
    return [bytes(f) for f, _ in RawPcapReader(str(CASE[name].path(kind)))]


def _expected(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads(CASE[name].path("expected.json").read_text())


def _ip_bytes(frame: bytes) -> bytes:
    ip = Ether(frame)[IP]
    return bytes(ip)[:ip.len]


def test_vm_to_underlay_is_rfc7348_vxlan_with_identity_and_rewritten_macs() -> None:
    inputs, outputs = _frames("vm_to_underlay_vxlan", "in.pcap"), _frames(
        "vm_to_underlay_vxlan", "out.pcap")
    assert len(outputs) == len(inputs)
    for original, wire in zip(inputs, outputs, strict=True):
        outer = Ether(wire)
        assert (outer[IP].src, outer[IP].dst) == (UNDERLAY["host-1"], UNDERLAY["host-3"])
        assert outer[IP].flags.DF and outer[IP].ttl == 64
        assert checksum(bytes(outer[IP])[:20]) == 0
        assert outer[UDP].dport == 4789 and 49152 <= outer[UDP].sport <= 65535
        assert outer[UDP].chksum == 0  # RFC 7348 §5 over IPv4
        vxlan = outer[VXLAN]
        assert vxlan.vni == VNI and vxlan.gpid == PROGRAM.enis["eni-a"].tag
        inner = vxlan.payload
        assert (inner.src, inner.dst) == (ROUTER_MAC, MAC["eni-c"])  # crossing subnets
        assert _ip_bytes(bytes(inner)) == _ip_bytes(original)
    assert outputs[2] == outputs[3]  # the cache hit replays the same bytes


def test_underlay_to_vm_delivers_the_inner_packet_with_router_macs() -> None:
    inputs, outputs = _frames("underlay_to_vm", "in.pcap"), _frames("underlay_to_vm", "out.pcap")
    assert len(outputs) == 1  # TCP 22 from 10.0.2.0/24 only (sg-a), SG-R1 for the rest
    delivered = Ether(outputs[0])
    assert (delivered.src, delivered.dst) == (ROUTER_MAC, MAC["eni-a"])
    assert _ip_bytes(outputs[0]) == _ip_bytes(bytes(Ether(inputs[0])[VXLAN].payload))
    counters = _expected("underlay_to_vm")["counters"]["eni-a"]
    assert counters["drop.dst_sg_ingress.no_matching_rule"] == 2 and counters["rx_packets"] == 1


def test_drop_cases_emit_only_their_controls() -> None:
    sg = _frames("sg_drop", "out.pcap")
    assert len(sg) == 1 and Ether(sg[0])[VXLAN].payload[IP].proto == 6
    assert _expected("sg_drop")["counters"]["eni-a"]["drop.src_sg_egress.no_matching_rule"] == 2
    nacl = _frames("nacl_drop", "out.pcap")
    assert len(nacl) == 1  # the same-subnet packet to eni-b (host-2), NACL-R8
    assert Ether(nacl[0])[IP].dst == UNDERLAY["host-2"]
    assert Ether(nacl[0])[VXLAN].payload.src == MAC["eni-a"]  # same subnet: sender's MAC
    assert _expected("nacl_drop")["counters"]["eni-a"]["drop.src_nacl_egress.deny_rule"] == 1
    underlay = _frames("nacl_drop_underlay", "out.pcap")
    assert len(underlay) == 1 and Ether(underlay[0]).dst == MAC["eni-a"]
    expected = _expected("nacl_drop_underlay")["counters"]
    assert expected == {"eni-a": {"drop.dst_nacl_ingress.deny_rule": 1, "drops": 1,
                                  "dst_nacl_ingress": 1, "rx_packets": 1}}
