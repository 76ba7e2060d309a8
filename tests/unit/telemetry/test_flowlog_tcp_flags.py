"""tcp-flags are OR-ed per window over FIN, SYN, RST and SYN-ACK only (FL-R8)."""

from __future__ import annotations

import pytest
from flowlog_builders import collector, obs, spec

from smartnic.telemetry.flowlogs.aggregate import reduce_tcp_flags

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

FL_004_FORMAT = (
    "version", "vpc-id", "subnet-id", "instance-id", "interface-id", "account-id", "type",
    "srcaddr", "dstaddr", "srcport", "dstport", "pkt-srcaddr", "pkt-dstaddr", "protocol",
    "bytes", "packets", "start", "end", "action", "tcp-flags", "log-status",
)


@pytest.mark.parametrize(
    ("packets", "expected"),
    [
        ([SYN, FIN | ACK], 3),  # SYN + FIN in one interval
        ([SYN | ACK, FIN | ACK], 19),  # SYN-ACK + FIN
        ([SYN | ACK], 18),
        ([SYN], 2),
        ([ACK], 0),  # ACK alone is not reported
        ([PSH | ACK, ACK, URG | ACK], 0),
        ([SYN, ACK], 2),  # ACK in a later packet does not make SYN-ACK
        ([RST | ACK], 4),
        ([FIN], 1),
    ],
)
def test_fl_r8_flag_combinations(packets: list[int], expected: int) -> None:
    log = collector(spec(fields=("tcp-flags",)))
    for i, flags in enumerate(packets):
        log.observe(obs(flags=flags, t=1 + i))
    (record,) = log.advance(60)
    assert record.values["tcp-flags"] == record.line == str(expected)


def test_fl_r8_reduction_never_reports_ack_psh_urg_alone() -> None:
    for raw in range(256):
        reduced = reduce_tcp_flags(raw)
        assert reduced & ~(FIN | SYN | RST | ACK) == 0
        assert bool(reduced & ACK) == (raw & (SYN | ACK) == SYN | ACK)


def test_fl_r8_flags_do_not_leak_across_windows() -> None:
    log = collector(spec(fields=("tcp-flags", "start")))
    log.observe(obs(flags=SYN, t=59))
    log.observe(obs(flags=FIN | ACK, t=61))
    assert [r.line for r in log.advance(120)] == ["2 59", "1 61"]


def test_fl_004_scenario_handshake_and_close() -> None:
    """FL-004: on eni-c, ingress S, A, FA -> 3; egress SA, FA -> 19; version 3."""
    log = collector(spec(enis=["eni-a", "eni-c"], fields=FL_004_FORMAT))
    a_to_c = ("10.0.1.10", "10.0.2.30", 43638, 5001)
    c_to_a = ("10.0.2.30", "10.0.1.10", 5001, 43638)
    for time_s, flags, towards_c in [(0, SYN, True), (0.01, SYN | ACK, False),
                                     (0.02, ACK, True), (1, FIN | ACK, True),
                                     (1.01, FIN | ACK, False)]:
        sender, receiver = ("eni-a", "eni-c") if towards_c else ("eni-c", "eni-a")
        src, dst, sport, dport = a_to_c if towards_c else c_to_a
        log.observe(obs(sender, "egress", src=src, dst=dst, sport=sport, dport=dport,
                        flags=flags, t=time_s, path=1))
        log.observe(obs(receiver, "ingress", src=src, dst=dst, sport=sport, dport=dport,
                        flags=flags, t=time_s))
    records = log.advance(121.02)
    on_c = {(r.direction, r.values["srcport"]): r for r in records if r.eni_id == "eni-c"}
    assert on_c[("ingress", "43638")].values["tcp-flags"] == "3"
    assert on_c[("egress", "5001")].values["tcp-flags"] == "19"
    assert {r.version for r in records} == {3}
    assert on_c[("ingress", "43638")].line.endswith(" 6 180 3 0 1 ACCEPT 3 OK")
