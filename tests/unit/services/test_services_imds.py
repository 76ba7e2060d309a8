"""Instance metadata over a stateless TCP responder: handshake, HTTP GET/PUT, close."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scapy.layers.http import HTTP, HTTPResponse
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.packet import Packet as ScapyPacket
from services_support import (
    NOW_UNIX_S,
    config_data,
    dissect,
    from_vm,
    ip_layer,
    program,
    router_mac,
    vm_mac,
)

from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.services.imds import answer_imds
from smartnic.model import load_config

IMDS = "169.254.169.254"
CLIENT_ISN = 1000


@dataclass
class Client:
    """One TCP client of the metadata service, as the VM of `eni_id` runs it."""

    eni_id: str = "eni-a"
    sport: int = 40000
    v6: bool = False
    prog: Program | None = None

    def send(self, flags: str, seq: int, ack: int = 0, payload: bytes = b"") -> list[ScapyPacket]:
        l3: ScapyPacket
        if self.v6:
            l3 = IPv6(src="2001:db8:1234:1a01::10", dst="fd00:ec2::254")
        else:
            src = {"eni-a": "10.0.1.10", "eni-b": "10.0.2.20"}.get(self.eni_id, "10.0.1.10")
            l3 = IP(src=src, dst=IMDS)
        segment = TCP(sport=self.sport, dport=80, flags=flags, seq=seq, ack=ack) / payload
        frame = from_vm(self.eni_id, l3 / segment)
        prog = self.prog or program()
        return [dissect(f) for f in answer_imds(prog, self.eni_id, frame, NOW_UNIX_S)]

    def connect(self) -> int:
        (synack,) = self.send("S", CLIENT_ISN)
        return int(synack[TCP].seq)

    def http(self, request: bytes) -> tuple[list[ScapyPacket], int]:
        isn = self.connect()
        return self.send("PA", CLIENT_ISN + 1, isn + 1, request), isn

    def get(self, path: str, headers: str = "") -> HTTPResponse:
        replies, _ = self.http(f"GET {path} HTTP/1.1\r\nHost: {IMDS}\r\n{headers}\r\n".encode())
        return HTTP(b"".join(bytes(r[TCP].payload) for r in replies))[HTTPResponse]


def body(response: HTTPResponse) -> bytes:
    return bytes(response.payload)


def test_syn_gets_a_deterministic_syn_ack_from_the_service_address() -> None:
    (synack,) = Client().send("S", CLIENT_ISN)
    assert synack[TCP].flags == "SA" and synack[TCP].ack == CLIENT_ISN + 1
    assert dict(synack[TCP].options)["MSS"] == 1400
    assert (synack.src, synack.dst) == (router_mac("eni-a"), vm_mac("eni-a"))
    assert (synack[IP].src, synack[IP].dst, synack[TCP].sport) == (IMDS, "10.0.1.10", 80)
    assert Client().connect() == synack[TCP].seq  # a retransmitted SYN gets the same answer
    assert Client(sport=40001).connect() != synack[TCP].seq


def test_get_is_acked_and_answered_in_one_segment_with_fin() -> None:
    request = b"GET /latest/meta-data/local-ipv4 HTTP/1.1\r\nHost: x\r\n\r\n"
    replies, isn = Client().http(request)
    (segment,) = replies
    assert segment[TCP].flags == "FPA"
    assert (segment[TCP].seq, segment[TCP].ack) == (isn + 1, CLIENT_ISN + 1 + len(request))
    response = HTTP(bytes(segment[TCP].payload))[HTTPResponse]
    assert (response.Status_Code, response.Connection, body(response)) == (
        b"200",
        b"close",
        b"10.0.1.10",
    )
    assert int(response.Content_Length) == len(body(response))


@pytest.mark.parametrize(
    ("eni_id", "path", "expected"),
    [("eni-a", "/latest/meta-data/local-hostname", b"ip-10-0-1-10.eu-west-1.compute.internal"),
     ("eni-a", "/latest/meta-data/instance-id", b"i-0123456789abcdef0"),
     ("eni-a", "/latest/meta-data/instance-type", b"m5.large"),
     ("eni-a", "/latest/meta-data/public-ipv4", b"54.0.0.10"),
     ("eni-a", "/latest/meta-data/placement/region", b"eu-west-1"),
     ("eni-a", "/latest/meta-data/security-groups", b"web"),
     ("eni-a", "/latest/meta-data/ipv6", b"2001:db8:1234:1a01::10"),
     ("eni-a", "/latest/meta-data/placement/", b"region"),
     ("eni-b", "/latest/meta-data/local-ipv4", b"10.0.2.20"),
     ("eni-b", "/latest/meta-data/services/domain?x=1", b"amazonaws.com")],
)  # fmt: skip
def test_metadata_paths(eni_id: str, path: str, expected: bytes) -> None:
    response = Client(eni_id).get(path)
    assert (response.Status_Code, body(response)) == (b"200", expected)


def test_mac_and_interface_tree() -> None:
    mac = vm_mac("eni-a")
    assert body(Client().get("/latest/meta-data/mac")) == mac.encode()
    macs = body(Client().get("/latest/meta-data/network/interfaces/macs/")).split(b"\n")
    assert sorted(macs) == sorted(f"{vm_mac(e)}/".encode() for e in ("eni-a", "eni-a2"))
    base = f"/latest/meta-data/network/interfaces/macs/{mac}/"
    expected = {
        "subnet-id": b"subnet-1",
        "vpc-id": b"vpc-a",
        "interface-id": b"eni-a",
        "local-ipv4s": b"10.0.1.10\n10.0.1.11",
        "security-group-ids": b"sg-web",
        "owner-id": b"111122223333",
        "subnet-ipv4-cidr-block": b"10.0.1.0/24",
        "vpc-ipv4-cidr-blocks": b"10.0.0.0/16\n10.1.0.0/16",
        "device-number": b"0",
    }
    for leaf, value in expected.items():  # fmt: skip
        assert body(Client().get(base + leaf)) == value, leaf
    listing = body(Client().get(base)).split(b"\n")
    assert b"ipv6s" in listing and b"public-ipv4s" in listing and listing == sorted(listing)


def test_meta_data_listing_with_and_without_slash() -> None:
    listing = body(Client().get("/latest/meta-data/")).split(b"\n")
    assert {b"local-ipv4", b"instance-id", b"network/", b"placement/", b"public-ipv4"} <= set(
        listing
    )
    assert body(Client().get("/latest/meta-data")) == b"\n".join(listing)
    assert b"public-ipv4" not in body(Client("eni-b").get("/latest/meta-data/")).split(b"\n")


def test_absent_and_unknown_paths_are_404() -> None:
    assert Client("eni-b").get("/latest/meta-data/public-ipv4").Status_Code == b"404"
    assert Client("eni-b").get("/latest/meta-data/instance-type").Status_Code == b"404"
    assert Client().get("/latest/meta-data/nothing-here").Status_Code == b"404"
    assert Client().get("/latest/meta-data/mac/deeper").Status_Code == b"404"


def test_derived_instance_id_is_stable() -> None:
    first = body(Client("eni-b").get("/latest/meta-data/instance-id"))
    assert first == body(Client("eni-b", sport=41000).get("/latest/meta-data/instance-id"))
    assert first.startswith(b"i-") and len(first) == 19 and int(first[2:], 16) >= 0


def test_imdsv2_token_then_any_token_is_accepted() -> None:
    put = b"PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\n"
    replies, _ = Client().http(put)
    response = HTTP(bytes(replies[0][TCP].payload))[HTTPResponse]
    assert response.Status_Code == b"200" and len(body(response)) > 20
    assert b"X-Aws-Ec2-Metadata-Token-Ttl-Seconds: 21600" in bytes(replies[0][TCP].payload)
    token = "X-aws-ec2-metadata-token: whatever\r\n"
    assert body(Client().get("/latest/meta-data/local-ipv4", token)) == b"10.0.1.10"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [(b"PUT /latest/api/token HTTP/1.1\r\n\r\n", b"400"),
     (b"PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 0\r\n\r\n", b"400"),
     (b"POST /latest/meta-data/ HTTP/1.1\r\n\r\n", b"405"),
     (b"GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n", b"400"),  # head never ends
     (b"GET /latest/meta-data/ SPDY/3\r\n\r\n", b"400"),
     (b"\xff\xfe garbage\r\n\r\n", b"400")],
)  # fmt: skip
def test_bad_requests(request_bytes: bytes, status: bytes) -> None:
    replies, _ = Client().http(request_bytes)
    assert HTTP(bytes(replies[-1][TCP].payload))[HTTPResponse].Status_Code == status
    assert replies[-1][TCP].flags.F


def test_close_after_the_response_and_before_any_request() -> None:
    request = b"GET /latest/meta-data/mac HTTP/1.1\r\n\r\n"
    client = Client()
    replies, isn = client.http(request)
    response_bytes = len(replies[0][TCP].payload)
    client_fin_seq = CLIENT_ISN + 1 + len(request)
    (ack,) = client.send("FA", client_fin_seq, isn + 1 + response_bytes + 1)
    assert ack[TCP].flags == "A" and ack[TCP].ack == client_fin_seq + 1
    idle = Client(sport=40002)
    isn = idle.connect()
    (finack,) = idle.send("FA", CLIENT_ISN + 1, isn + 1)
    assert finack[TCP].flags == "FA" and finack[TCP].seq == isn + 1


def test_data_on_a_connection_we_never_opened_is_reset() -> None:
    (rst,) = Client().send("PA", 5000, 777, b"GET / HTTP/1.1\r\n\r\n")
    assert rst[TCP].flags == "R" and rst[TCP].seq == 777


@pytest.mark.parametrize("flags", ["R", "RA", "A", "SA", ""])
def test_segments_needing_no_reply(flags: str) -> None:
    assert Client().send(flags, CLIENT_ISN, 1) == []


def test_other_ports_get_nothing() -> None:
    frame = from_vm("eni-a", IP(src="10.0.1.10", dst=IMDS) / TCP(dport=8080, flags="S"))
    assert answer_imds(program(), "eni-a", frame, NOW_UNIX_S) == []


def test_ipv6_endpoint() -> None:
    client = Client(v6=True)
    (synack,) = client.send("S", CLIENT_ISN)
    assert ip_layer(synack).src == "fd00:ec2::254" and synack[TCP].flags == "SA"
    assert body(client.get("/latest/meta-data/local-ipv4")) == b"10.0.1.10"


def test_long_responses_are_split_into_1400_byte_segments() -> None:
    data = config_data()  # 50 addresses: the most an ENI holds (ENI-R1), about 2,000 bytes
    data["enis"][0]["ipv6"] = [f"2001:db8:1234:1a01:1111:2222:3333:{n:04x}" for n in range(50)]
    client = Client("eni-a", prog=compile_program(load_config(data)))
    mac = vm_mac("eni-a")
    replies, isn = client.http(
        f"GET /latest/meta-data/network/interfaces/macs/{mac}/ipv6s HTTP/1.1\r\n\r\n".encode()
    )
    sizes = [len(r[TCP].payload) for r in replies]
    assert len(replies) > 1 and max(sizes) == 1400
    assert [r[TCP].seq for r in replies] == [isn + 1 + sum(sizes[:i]) for i in range(len(sizes))]
    assert [bool(r[TCP].flags.F) for r in replies] == [False] * (len(replies) - 1) + [True]
    response = HTTP(b"".join(bytes(r[TCP].payload) for r in replies))[HTTPResponse]
    assert len(body(response).split(b"\n")) == 50
