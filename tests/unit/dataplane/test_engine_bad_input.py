"""Bad input on both sides of a host engine: never an exception, never forwarded; dropped and
counted with a named stage and reason (issue requirement; intake.py, host_engine.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dp_support import frames_for, inner_to, make_cloud, underlay_frame
from smartnic.dataplane.host_engine import HostEngine
from smartnic.dataplane.verdict import DROP_STAGES
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from smartnic.packet import ALL_REASONS, ip_to_int

OPEN = {"security_groups": [{"id": "sg-c", "ingress": [{"proto": "all", "peer": "0.0.0.0/0"},
                                                       {"proto": "all", "peer": "::/0"}]}]}


@pytest.fixture(scope="module")
def cloud(build_t1: Callable[..., Config]) -> Cloud:
    return make_cloud(build_t1(OPEN))


def _drop_of(engine: HostEngine, side: str, frame: bytes, eni: str = "eni-a") -> tuple[str, str]:
    """Feed one frame; it must produce nothing and exactly one counted drop: (stage, reason)."""
    before = engine.ctx.counters.snapshot()
    if side == "vm":
        out = engine.process_vm_batch(eni, [frame])
    else:
        out = engine.process_underlay_batch([frame])
    assert out == []
    after = engine.ctx.counters.snapshot()
    grown = [(scope, name) for scope, names in after.items() for name, value in names.items()
             if name.startswith("drop.") and value != before.get(scope, {}).get(name, 0)]
    assert len(grown) == 1, grown
    scope, name = grown[0]
    _, stage, reason = name.split(".", 2)
    assert stage in DROP_STAGES and reason
    assert after[scope]["drops"] == before.get(scope, {}).get("drops", 0) + 1
    return stage, reason


def _valid(cloud: Cloud, dst: str = "10.0.2.30", proto: str = "tcp") -> bytes:
    frame, = frames_for(cloud, src_eni="eni-a", dst=dst, proto=proto, sport=40000, dport=80,
                        flags="S", length=100)
    return frame


@pytest.mark.parametrize(("dst", "proto"), [("10.0.2.30", "tcp"), ("10.0.2.30", "udp"),
                                            ("10.0.2.30", "icmp"),
                                            ("2001:db8:1234:1a02::30", "tcp"),
                                            ("2001:db8:1234:1a02::30", "icmpv6")])
def test_vm_frame_truncated_at_every_length_is_a_parse_drop(cloud: Cloud, dst: str,
                                                            proto: str) -> None:
    engine = cloud.hosts["host-1"]
    frame = _valid(cloud, dst, proto)
    assert [e.port for e in engine.process_vm_batch("eni-a", [frame])] == ["underlay"]
    for cut in range(14 + 100):  # inside the Ethernet header or the IP packet
        stage, reason = _drop_of(engine, "vm", frame[:cut])
        assert stage == "parse" and reason in ALL_REASONS, (cut, reason)


def _corrupt(frame: bytes, offset: int) -> bytes:
    damaged = bytearray(frame)
    damaged[offset] ^= 0x40
    return bytes(damaged)


@pytest.mark.parametrize(("proto", "offset", "reason"), [
    ("tcp", 14 + 10, "bad_ipv4_checksum"),  # header checksum field
    ("tcp", 14 + 20 + 16, "bad_tcp_checksum"),
    ("udp", 14 + 20 + 6, "bad_udp_checksum"),
    ("icmp", 14 + 20 + 2, "bad_icmp_checksum"),
    ("tcp", 14 + 20 + 30, "bad_tcp_checksum"),  # payload byte
])
def test_bad_checksums_are_parse_drops(cloud: Cloud, proto: str, offset: int,
                                       reason: str) -> None:
    frame = _corrupt(_valid(cloud, proto=proto), offset)
    assert _drop_of(cloud.hosts["host-1"], "vm", frame) == ("parse", reason)


def test_vlan_tagged_vm_frame_is_refused(cloud: Cloud) -> None:
    frame = _valid(cloud)
    tagged = frame[:12] + b"\x81\x00\x00\x07" + frame[12:]
    assert _drop_of(cloud.hosts["host-1"], "vm", tagged) == ("parse", "vlan_tagged")


def test_spoofed_source_mac_is_refused(cloud: Cloud) -> None:
    frame = _valid(cloud)
    spoofed = frame[:6] + cloud.program.enis["eni-b"].mac + frame[12:]
    assert _drop_of(cloud.hosts["host-1"], "vm", spoofed) == (
        "src_dst_check", "source_mac_not_owned")


@pytest.mark.parametrize("eni", ["eni-c", "eni-nowhere"])
def test_frame_from_an_eni_not_on_this_host_is_refused(cloud: Cloud, eni: str) -> None:
    stage, reason = _drop_of(cloud.hosts["host-1"], "vm", _valid(cloud), eni=eni)
    assert (stage, reason) == ("no_destination", "unknown_eni")


def test_unsupported_ethertype_is_a_parse_drop(cloud: Cloud) -> None:
    frame = _valid(cloud)
    assert _drop_of(cloud.hosts["host-1"], "vm", frame[:12] + b"\x88\xcc" + frame[14:]) == (
        "parse", "unsupported_ethertype")


# -- underlay side: host-3 (eni-c) receives from host-1 (eni-a, eni-fw) ---------------------

def _ips(cloud: Cloud) -> dict[str, int]:
    return {h: v.underlay_ip for h, v in cloud.program.hosts.items()}


def _from_host1(cloud: Cloud, inner: bytes | None = None, **override: object) -> bytes:
    ips = _ips(cloud)
    fields: dict[str, object] = dict(src_ip=ips["host-1"], dst_ip=ips["host-3"],
                                     vni=cloud.program.vpcs["vpc-a"].vni,
                                     sender_tag=cloud.program.enis["eni-a"].tag)
    fields.update(override)
    inner = inner or inner_to(cloud, _valid(cloud), "eni-c")
    return underlay_frame(cloud, inner, **fields)  # type: ignore[arg-type]


def test_well_formed_underlay_frame_is_delivered(cloud: Cloud) -> None:
    out = cloud.hosts["host-3"].process_underlay_batch([_from_host1(cloud)])
    assert [e.port for e in out] == ["vm:eni-c"]


@pytest.mark.parametrize(("override", "expected"), [
    ({"vni": 4242}, ("decap", "unknown_vni")),
    ({"src_ip": ip_to_int("198.18.9.9")[1]}, ("decap", "unknown_underlay_source")),
    ({"dst_ip_host": "host-2"}, ("decap", "not_for_this_host")),
    ({"sender_tag_of": "eni-b"}, ("decap", "sender_mismatch")),  # eni-b lives on host-2
    ({"sender_tag": 0xFFFE}, ("decap", "sender_mismatch")),  # gateway identity, not the edge
    ({"sender_tag": 0xFFFD}, ("decap", "unknown_sender")),
    ({"inner_to": "eni-a"}, ("decap", "unknown_eni")),  # eni-a is not on host-3
    ({"inner_mac": b"\x02\x99\x99\x99\x99\x99"}, ("decap", "unknown_eni")),
])
def test_underlay_frames_that_lie_are_refused(cloud: Cloud, override: dict[str, object],
                                              expected: tuple[str, str]) -> None:
    fields = dict(override)
    if "dst_ip_host" in fields:
        fields["dst_ip"] = _ips(cloud)[str(fields.pop("dst_ip_host"))]
    if "sender_tag_of" in fields:
        fields["sender_tag"] = cloud.program.enis[str(fields.pop("sender_tag_of"))].tag
    if "inner_to" in fields:
        fields["inner"] = inner_to(cloud, _valid(cloud, "10.0.1.20"), str(fields.pop("inner_to")))
    if "inner_mac" in fields:
        mac = fields.pop("inner_mac")
        fields["inner"] = mac + inner_to(cloud, _valid(cloud), "eni-c")[6:]  # type: ignore[operator]
    assert _drop_of(cloud.hosts["host-3"], "underlay", _from_host1(cloud, **fields)) == expected


def test_underlay_frame_truncated_at_every_length_is_refused(cloud: Cloud) -> None:
    frame = _from_host1(cloud)
    inner_end = 14 + 20 + 8 + 8 + 14 + 100
    for cut in range(inner_end):
        stage, reason = _drop_of(cloud.hosts["host-3"], "underlay", frame[:cut])
        assert stage in ("decap", "parse") and reason in ALL_REASONS, (cut, reason)


def test_bad_inner_checksum_is_a_parse_drop(cloud: Cloud) -> None:
    inner = _corrupt(inner_to(cloud, _valid(cloud), "eni-c"), 14 + 20 + 16)
    frame = _from_host1(cloud, inner=inner)
    assert _drop_of(cloud.hosts["host-3"], "underlay", frame) == ("parse", "bad_tcp_checksum")


def test_plain_udp_on_the_underlay_is_not_overlay(cloud: Cloud) -> None:
    frame = _valid(cloud, "10.0.2.30", "udp")
    assert _drop_of(cloud.hosts["host-3"], "underlay", frame) == ("decap", "not_overlay")


def test_sender_identity_spoofing_inner_source_is_refused_by_the_sg_sg_r9a(
        build_t1: Callable[..., Config]) -> None:
    """host-1 claims eni-fw sent a packet with eni-a's address: sg-a membership needs eni-a.
    eni-fw is a legitimate next hop (a route targets it, RT-R8), so decap lets it forward."""
    cloud = make_cloud(build_t1({
        "security_groups": [
            {"id": "sg-c", "ingress": [{"proto": "tcp", "ports": "80", "peer": "sg-a"}]}],
        "route_tables": [{"id": "rtb-main", "routes": [
            {"dst": "0.0.0.0/0", "target": "eni-fw"}]}]}))
    forged = _from_host1(cloud, sender_tag=cloud.program.enis["eni-fw"].tag)
    genuine = _from_host1(cloud)
    engine = cloud.hosts["host-3"]
    assert _drop_of(engine, "underlay", forged) == ("dst_sg_ingress", "no_matching_rule")
    assert [e.port for e in engine.process_underlay_batch([genuine])] == ["vm:eni-c"]
