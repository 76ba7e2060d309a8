"""Record contents: AWS worked examples (FL-R4, FL-R12), addresses (FL-R9), fields (FL-R5)."""

from __future__ import annotations

import re

import pytest
from flowlog_builders import ACCOUNT, collector, eni, obs, spec

from smartnic.telemetry.flowlogs import (
    ALL_FIELDS,
    DEFAULT_FIELDS,
    FlowLogSpec,
    format_version,
    parse_log_format,
)

ADDRESS_FIELDS = ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr")


def test_fl_r4_default_format_worked_example() -> None:
    """FL-R4: 20 packets, 4249 bytes of SSH from 172.31.16.139 between 1418530010 and ..70."""
    eni_id = "eni-1235b8ca123456789"
    ctx = eni(eni_id, primary="172.31.16.21")
    log = collector(spec(enis=[eni_id], interval_s=600), contexts=[ctx], start_s=1418529600)
    sizes = [212] * 19 + [4249 - 212 * 19]
    for i, size in enumerate(sizes):
        time_s = 1418530010 + i * 60 / 19
        log.observe(obs(eni_id, src="172.31.16.139", dst="172.31.16.21", sport=20641,
                        dport=22, length=size, t=time_s))
    (record,) = log.advance(1418530200)
    assert record.line == (f"2 {ACCOUNT} {eni_id} 172.31.16.139 172.31.16.21 20641 22 6 20 "
                           "4249 1418530010 1418530070 ACCEPT OK")
    assert (record.version, record.log_status, record.direction) == (2, "OK", "ingress")


def test_fl_r12_icmp_request_accepted_response_rejected() -> None:
    """FL-R12: NACL allows inbound but not outbound ICMP -> ACCEPT in, REJECT out, ports 0 0."""
    ctx = eni("eni-x", primary="172.31.16.139")
    log = collector(spec(enis=["eni-x"]), contexts=[ctx])
    for i in range(4):
        log.observe(obs("eni-x", src="203.0.113.12", dst="172.31.16.139", sport=0, dport=0,
                        protocol=1, length=84, t=10 + i))
        log.observe(obs("eni-x", "egress", "REJECT", src="172.31.16.139", dst="203.0.113.12",
                        sport=0, dport=0, protocol=1, length=84, t=10.1 + i))
    request, response = log.advance(60)
    assert re.fullmatch(r"2 \d+ eni-x 203\.0\.113\.12 172\.31\.16\.139 0 0 1 4 336 "
                        r"10 13 ACCEPT OK", request.line)
    assert re.fullmatch(r"2 \d+ eni-x 172\.31\.16\.139 203\.0\.113\.12 0 0 1 4 336 "
                        r"10 13 REJECT OK", response.line)
    assert (request.direction, response.direction) == ("ingress", "egress")


def test_fl_r12_sg_denies_request_only_one_reject_record() -> None:
    log = collector(spec(enis=["eni-x"]), contexts=[eni("eni-x", primary="172.31.16.139")])
    log.observe(obs("eni-x", action="REJECT", src="203.0.113.12", dst="172.31.16.139",
                    sport=0, dport=0, protocol=1, length=84, t=5))
    assert [(r.direction, r.action) for r in log.advance(60)] == [("ingress", "REJECT")]


@pytest.mark.parametrize(
    ("direction", "src", "dst", "srcaddr", "dstaddr"),
    [
        # FL-002: ingress to a secondary IP shows the primary in dstaddr.
        ("ingress", "10.0.1.10", "10.0.2.31", "10.0.1.10", "10.0.2.30"),
        # Ingress to none of the ENI's IPs (e.g. the ENI routes for others) -> primary.
        ("ingress", "10.0.1.10", "192.168.7.7", "10.0.1.10", "10.0.2.30"),
        # SDC-001: egress from an address not the ENI's -> primary in srcaddr.
        ("egress", "10.0.1.99", "10.0.1.10", "10.0.2.30", "10.0.1.10"),
        # Egress from a secondary IP -> primary; far side untouched.
        ("egress", "10.0.2.31", "198.51.100.7", "10.0.2.30", "198.51.100.7"),
        # IPv6 ENI addresses are shown as they are.
        ("ingress", "2001:db8::1", "2001:db8:1234:1a02::30", "2001:db8::1",
         "2001:db8:1234:1a02::30"),
    ],
)
def test_fl_r9_address_substitution(
    direction: str, src: str, dst: str, srcaddr: str, dstaddr: str
) -> None:
    ctx = eni("eni-c", others=["10.0.2.31", "2001:db8:1234:1a02::30"])
    log = collector(spec(fields=("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr")),
                    contexts=[ctx])
    log.observe(obs(direction=direction, src=src, dst=dst, t=1))
    (record,) = log.advance(60)
    assert [record.values[f] for f in ADDRESS_FIELDS] == [srcaddr, dstaddr, src, dst]
    assert record.line == f"{srcaddr} {dstaddr} {src} {dst}"


def test_fl_r11_traffic_path_on_egress_only() -> None:
    """IGW-001: ingress shows "-", egress to the internet shows its path."""
    log = collector(spec(fields=("flow-direction", "traffic-path")))
    log.observe(obs(src="198.51.100.7", dst="10.0.2.30", sport=50000, dport=443, t=1))
    log.observe(obs(direction="egress", src="10.0.2.30", dst="198.51.100.7", sport=443,
                    dport=50000, path=8, t=2))
    log.observe(obs(direction="egress", sport=1, dport=2, t=3))  # no path known
    # A path reported on ingress is ignored, so it neither shows nor splits the record.
    log.observe(obs(src="198.51.100.7", dst="10.0.2.30", sport=50000, dport=443, path=2, t=4))
    assert [r.line for r in log.advance(60)] == ["ingress -", "egress 8", "egress -"]


def test_fl_r5_every_field_rendered() -> None:
    ctx = eni(instance_id=None, region="us-east-1", az_id="use1-az1")
    log = collector(spec(fields=ALL_FIELDS), contexts=[ctx])
    log.observe(obs(src="2001:db8::1", dst="2001:db8::2", flags=0x02, t=7))
    (record,) = log.advance(60)
    values = record.values
    assert set(values) == set(ALL_FIELDS)
    assert values["instance-id"] == "-"  # FL-R9: no instance (requester-managed ENI)
    assert (values["region"], values["az-id"]) == ("us-east-1", "use1-az1")
    assert (values["type"], values["flow-direction"], values["tcp-flags"]) == ("IPv6",
                                                                              "ingress", "2")
    assert (values["vpc-id"], values["subnet-id"]) == ("vpc-a", "subnet-2")
    assert values["encryption-status"] == "0"
    for name in ("sublocation-type", "sublocation-id", "pkt-src-aws-service",
                 "pkt-dst-aws-service", "reject-reason", "ecs-task-id", "ecs-cluster-arn"):
        assert values[name] == "-"
    assert record.version == format_version(ALL_FIELDS) == int(values["version"]) == 10
    assert len(record.line.split(" ")) == len(ALL_FIELDS)


def test_fl_r5_region_az_dash_when_unknown() -> None:
    log = collector(spec(fields=("region", "az-id", "type", "version")))
    log.observe(obs(t=1))
    assert log.advance(60)[0].line == "- - IPv4 4"


@pytest.mark.parametrize(
    ("fields", "version"),
    [
        (DEFAULT_FIELDS, 2),
        (("srcaddr",), 2),
        (("srcaddr", "tcp-flags"), 3),
        (("version", "vpc-id", "az-id"), 4),  # the AWS docs' "2, 3 and 4 -> 4" example
        (("flow-direction", "srcaddr"), 5),
        (("ecs-task-id",), 7),
        (("reject-reason", "srcaddr"), 8),
    ],
)
def test_fl_r5_version_is_highest_field_version(fields: tuple[str, ...], version: int) -> None:
    assert format_version(fields) == version
    log = collector(spec(fields=fields))
    log.observe(obs(t=1))
    assert log.advance(60)[0].version == version


def test_fl_r5_format_parsing_and_validation() -> None:
    assert parse_log_format(None) == DEFAULT_FIELDS == parse_log_format("default")
    assert parse_log_format("${version} ${vpc-id}") == ("version", "vpc-id")
    assert parse_log_format(["srcaddr"]) == ("srcaddr",)
    with pytest.raises(ValueError, match="nope"):
        parse_log_format("${nope}")
    with pytest.raises(ValueError, match="unexpected text"):
        parse_log_format("version srcaddr")
    with pytest.raises(ValueError, match="fl-x.*at least one field"):
        FlowLogSpec("fl-x", frozenset(), "ALL", (), 60)
    with pytest.raises(ValueError, match="fl-x.*interval_s 30"):
        FlowLogSpec("fl-x", frozenset(), "ALL", DEFAULT_FIELDS, 30)
    with pytest.raises(ValueError, match="fl-x.*traffic"):
        FlowLogSpec("fl-x", frozenset(), "SOME", DEFAULT_FIELDS, 60)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        parse_log_format(["srcaddr", "srcaddr"])
