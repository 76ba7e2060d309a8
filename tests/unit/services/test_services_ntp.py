"""Amazon Time Sync answers NTP client requests with server replies stamped from the clock."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ntp import NTPHeader
from scapy.packet import Packet as ScapyPacket
from services_support import NOW_UNIX_S, from_vm, ip_layer, only_reply, program, router_mac

from smartnic.dataplane.services.ntp import NTP_UNIX_OFFSET_S, answer_ntp, ntp_timestamp

TIME_SYNC = "169.254.169.123"
CLIENT_SENT = Decimal("3900000000.5")


def request(version: int = 4, mode: int = 3, v6: bool = False) -> bytes:
    ntp = NTPHeader(version=version, mode=mode, stratum=0, poll=6, sent=CLIENT_SENT)
    l3: ScapyPacket
    if v6:
        l3 = IPv6(src="2001:db8:1234:1a01::10", dst="fd00:ec2::123")
    else:
        l3 = IP(src="10.0.1.10", dst=TIME_SYNC)
    return from_vm("eni-a", l3 / UDP(sport=50123, dport=123) / ntp)


@pytest.mark.parametrize("version", [3, 4])
def test_client_request_gets_a_server_reply_stamped_now(version: int) -> None:
    reply = only_reply(answer_ntp(program(), "eni-a", request(version), NOW_UNIX_S))
    ntp = NTPHeader(bytes(reply[UDP].payload))
    assert (ntp.leap, ntp.version, ntp.mode, ntp.stratum) == (0, version, 4, 1)
    assert ntp.orig == CLIENT_SENT
    expected = Decimal(NOW_UNIX_S) + NTP_UNIX_OFFSET_S
    for stamp in (ntp.ref, ntp.recv, ntp.sent):
        assert abs(stamp - expected) < Decimal("1e-6")
    assert bytes(reply[UDP].payload)[12:16] == b"AMZN"
    assert ntp.poll == 6 and ntp.precision < 0
    assert (reply[IP].src, reply[IP].dst, reply[UDP].sport, reply[UDP].dport) == (
        TIME_SYNC, "10.0.1.10", 123, 50123,
    )  # fmt: skip
    assert reply.src == router_mac("eni-a")


def test_ipv6_endpoint() -> None:
    reply = only_reply(answer_ntp(program(), "eni-a", request(v6=True), NOW_UNIX_S))
    assert ip_layer(reply).src == "fd00:ec2::123"


@pytest.mark.parametrize("mode", [1, 2, 4, 5, 6, 7])
def test_other_modes_get_no_answer(mode: int) -> None:
    assert answer_ntp(program(), "eni-a", request(mode=mode), NOW_UNIX_S) == []


def test_short_packets_and_old_versions_get_no_answer() -> None:
    short = from_vm("eni-a", IP(src="10.0.1.10", dst=TIME_SYNC) / UDP(dport=123) / (b"\x23" * 47))
    assert answer_ntp(program(), "eni-a", short, NOW_UNIX_S) == []
    assert answer_ntp(program(), "eni-a", request(version=2), NOW_UNIX_S) == []


def test_timestamp_wraps_into_the_next_era() -> None:
    after_2036 = 2**32 - NTP_UNIX_OFFSET_S + 5.5  # NTP era 1 began 2036-02-07
    assert ntp_timestamp(after_2036) == (5 << 32) | (1 << 31)
