"""Amazon DHCP leases each ENI its primary IPv4 with the default option set (DHCP-R1)."""

from __future__ import annotations

from typing import Any

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.packet import Packet as ScapyPacket
from services_support import NOW_UNIX_S, from_vm, only_reply, program, router_mac, vm_mac

from smartnic.dataplane.services.dhcp import answer_dhcp
from smartnic.packet.addr import mac_to_bytes

XID = 0x1234ABCD


def dhcp(
    eni_id: str, options: list[Any], region: str = "eu-west-1", ciaddr: str = "0.0.0.0",
    chaddr: str | None = None, op: int = 1,
) -> list[bytes]:  # fmt: skip
    mac = mac_to_bytes(chaddr or vm_mac(eni_id, region))
    bootp = BOOTP(op=op, xid=XID, flags=0, ciaddr=ciaddr, chaddr=mac + bytes(10))
    src, dst = (ciaddr, "10.0.2.1") if ciaddr != "0.0.0.0" else ("0.0.0.0", "255.255.255.255")
    l3 = IP(src=src, dst=dst) / UDP(sport=68, dport=67) / bootp / DHCP(options=[*options, "end"])
    return answer_dhcp(program(region), eni_id, from_vm(eni_id, l3, region), NOW_UNIX_S)


def options_of(reply: ScapyPacket) -> dict[str, Any]:
    return {o[0]: o[1] if len(o) == 2 else o[1:] for o in reply[DHCP].options
            if isinstance(o, tuple)}  # fmt: skip


def test_discover_gets_a_broadcast_offer_with_the_default_option_set() -> None:
    reply = only_reply(dhcp("eni-b", [("message-type", "discover")]))
    assert (reply.src, reply.dst) == (router_mac("eni-b"), "ff:ff:ff:ff:ff:ff")
    assert (reply[IP].src, reply[IP].dst) == ("10.0.2.1", "255.255.255.255")
    assert (reply[UDP].sport, reply[UDP].dport) == (67, 68)
    bootp = reply[BOOTP]
    assert (bootp.op, bootp.xid, bootp.yiaddr) == (2, XID, "10.0.2.20")
    assert bootp.chaddr[:6] == mac_to_bytes(vm_mac("eni-b"))
    assert options_of(reply) == {
        "message-type": 2, "server_id": "10.0.2.1", "lease_time": 3600,
        "renewal_time": 1800, "rebinding_time": 3150, "subnet_mask": "255.255.255.0",
        "broadcast_address": "10.0.2.255", "router": "10.0.2.1", "name_server": "10.0.0.2",
        "domain": b"eu-west-1.compute.internal", "interface-mtu": 1500,
    }  # fmt: skip
    assert len(reply[UDP].payload) >= 300


def test_request_for_the_primary_address_is_acked_with_ec2_internal_in_us_east_1() -> None:
    options = [("message-type", "request"), ("requested_addr", "10.0.1.10"),
               ("server_id", "10.0.1.1")]  # fmt: skip
    reply = only_reply(dhcp("eni-a", options, region="us-east-1"))
    assert options_of(reply)["message-type"] == 5 and reply[BOOTP].yiaddr == "10.0.1.10"
    assert options_of(reply)["domain"] == b"ec2.internal"
    assert options_of(reply)["interface-mtu"] == 9001


def test_renewal_with_ciaddr_is_acked_by_unicast() -> None:
    reply = only_reply(dhcp("eni-b", [("message-type", "request")], ciaddr="10.0.2.20"))
    assert (reply.dst, reply[IP].dst) == (vm_mac("eni-b"), "10.0.2.20")
    assert reply[BOOTP].ciaddr == "10.0.2.20" and options_of(reply)["message-type"] == 5


def test_request_for_another_address_is_nakked() -> None:
    reply = only_reply(
        dhcp("eni-b", [("message-type", "request"), ("requested_addr", "10.0.2.99")])
    )
    assert options_of(reply) == {"message-type": 6, "server_id": "10.0.2.1"}
    assert (reply[BOOTP].yiaddr, reply[IP].dst) == ("0.0.0.0", "255.255.255.255")


@pytest.mark.parametrize(
    "options",
    [[("message-type", "request"), ("requested_addr", "10.0.2.20"), ("server_id", "10.0.2.77")],
     [("message-type", "request")],  # neither requested address nor ciaddr
     [("message-type", "release")], [("message-type", "inform")], [("message-type", "decline")],
     [("message-type", "offer")], []],
)  # fmt: skip
def test_messages_we_do_not_answer(options: list[Any]) -> None:
    assert dhcp("eni-b", options) == []


def test_foreign_hardware_address_and_replies_get_nothing() -> None:
    assert dhcp("eni-b", [("message-type", "discover")], chaddr="02:de:ad:be:ef:00") == []
    assert dhcp("eni-b", [("message-type", "discover")], op=2) == []


@pytest.mark.parametrize(
    "payload", [b"", bytes(BOOTP())[:200], bytes(BOOTP()) + b"\x63\x82\x53\x64\x35\x01\x01",
                bytes(BOOTP()) + b"\x63\x82\x53\x63\x35\x05\x01"],
)  # fmt: skip
def test_malformed_messages_get_nothing(payload: bytes) -> None:
    frame = from_vm(
        "eni-b", IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / payload
    )
    assert answer_dhcp(program(), "eni-b", frame, NOW_UNIX_S) == []
