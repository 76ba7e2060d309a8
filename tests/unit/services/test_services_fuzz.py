"""Responders never raise: garbage frames, garbage payloads and mutated requests get [] or
well-formed replies (checksums valid, addressed to the VM)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRROPT
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from services_support import NOW_UNIX_S, from_vm, program, vm_mac

from smartnic.dataplane.services import ServiceDesk, default_responders
from smartnic.packet import parse_frame
from smartnic.packet.addr import BROADCAST_MAC, mac_to_bytes
from smartnic.telemetry.counters import Counters

RESPONDERS = default_responders()
SERVICE_PORTS = {"amazon-dns": ("169.254.169.253", 53), "time-sync": ("169.254.169.123", 123),
                 "dhcp": ("255.255.255.255", 67)}  # fmt: skip
DNS_QUERY = bytes(
    DNS(id=9, rd=1, qd=DNSQR(qname="ip-10-0-1-10.eu-west-1.compute.internal"), ar=DNSRROPT())
)
DHCP_DISCOVER = bytes(
    BOOTP(chaddr=mac_to_bytes(vm_mac("eni-a")) + bytes(10), xid=1)
    / DHCP(options=[("message-type", "discover"), ("param_req_list", [1, 3, 6]), "end"])
)


def check_replies(frames: list[bytes]) -> None:
    vm = program().enis["eni-a"].mac
    for frame in frames:
        packet = parse_frame(frame)  # raises on a bad length or checksum
        assert packet.eth_dst in (vm, BROADCAST_MAC)


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    return bytes(buffer[: max(0, len(buffer) - cut)])


edits_strategy = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8)


ETHERNET_HEADERS = [b"", from_vm("eni-a", IP())[:14], from_vm("eni-a", IPv6())[:14]]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(RESPONDERS)), st.sampled_from(ETHERNET_HEADERS), st.binary(max_size=200)
)
def test_random_frames(service: str, ethernet: bytes, rest: bytes) -> None:
    check_replies(RESPONDERS[service](program(), "eni-a", ethernet + rest, NOW_UNIX_S))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SERVICE_PORTS)), st.binary(max_size=400), st.booleans())
def test_random_udp_payloads(service: str, payload: bytes, v6: bool) -> None:
    dst, port = SERVICE_PORTS[service]
    l3 = (
        IPv6(src="2001:db8:1234:1a01::10", dst="fd00:ec2::253")
        if v6
        else IP(src="10.0.1.10", dst=dst)
    )
    frame = from_vm("eni-a", l3 / UDP(sport=1024, dport=port) / payload)
    check_replies(RESPONDERS[service](program(), "eni-a", frame, NOW_UNIX_S))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["dns", "dhcp"]), edits_strategy, st.integers(0, 40))
def test_mutated_requests(kind: str, edits: list[tuple[int, int]], cut: int) -> None:
    if kind == "dns":
        service, payload = "amazon-dns", mutate(DNS_QUERY, edits, cut)
        l3 = IP(src="10.0.1.10", dst="169.254.169.253") / UDP(sport=999, dport=53)
    else:
        service, payload = "dhcp", mutate(DHCP_DISCOVER, edits, cut)
        l3 = IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
    frame = from_vm("eni-a", l3 / payload)
    check_replies(RESPONDERS[service](program(), "eni-a", frame, NOW_UNIX_S))


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 255), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
    st.binary(max_size=300) | st.sampled_from([b"GET / HTTP/1.0\r\n\r\n", b"PUT /x HTTP/1.1\r\n"]),
)  # fmt: skip
def test_random_tcp_segments(flags: int, seq: int, ack: int, payload: bytes) -> None:
    segment = TCP(sport=33000, dport=80, flags=flags, seq=seq, ack=ack) / payload
    frame = from_vm("eni-a", IP(src="10.0.1.10", dst="169.254.169.254") / segment)
    check_replies(RESPONDERS["imds"](program(), "eni-a", frame, NOW_UNIX_S))


def test_service_desk_dispatches_to_the_default_responders() -> None:
    assert set(RESPONDERS) == {"amazon-dns", "time-sync", "imds", "dhcp"}
    counters = Counters()
    desk = ServiceDesk(counters, lambda: NOW_UNIX_S)
    desk.program, desk.responders = program(), default_responders()
    l3 = IP(src="10.0.1.10", dst="169.254.169.253") / UDP(sport=999, dport=53)
    replies = desk.answer("amazon-dns", "eni-a", from_vm("eni-a", l3 / DNS_QUERY))
    assert len(replies) == 1 and Ether(replies[0])[DNS].an[0].rdata == "10.0.1.10"
    assert counters.of("eni-a") == {"service.amazon-dns": 1}
