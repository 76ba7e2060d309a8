"""Amazon DNS answers our private zones authoritatively and refuses the rest (DNS-R1)."""

from __future__ import annotations

from typing import Any

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRROPT
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.packet import Packet as ScapyPacket
from services_support import (
    NOW_UNIX_S,
    config_data,
    dissect,
    from_vm,
    ip_layer,
    only_reply,
    program,
    router_mac,
    vm_mac,
)

from smartnic.compiler.compile import compile_program
from smartnic.dataplane.services import dns_wire
from smartnic.dataplane.services.dns import answer_dns
from smartnic.model import load_config
from smartnic.packet import int_to_ip

AMAZON_DNS = "169.254.169.253"
ZONE = "eu-west-1.compute.internal"
NOERROR, NXDOMAIN, NOTIMP, REFUSED = 0, 3, 4, 5


def ask(
    qname: str, qtype: str = "A", eni_id: str = "eni-b", region: str = "eu-west-1",
    dst: str = AMAZON_DNS, **dns_fields: Any,
) -> ScapyPacket:  # fmt: skip
    src = int_to_ip(4, program(region).enis[eni_id].primary_ipv4)
    query = DNS(id=0x4242, rd=1, qd=DNSQR(qname=qname, qtype=qtype), **dns_fields)
    frame = from_vm(eni_id, IP(src=src, dst=dst) / UDP(sport=5353, dport=53) / query, region)
    return only_reply(answer_dns(program(region), eni_id, frame, NOW_UNIX_S))


def answers(reply: ScapyPacket) -> list[object]:
    return [record.rdata for record in reply[DNS].an]


def test_ip_name_resolves_to_the_address_with_aws_header_bits() -> None:
    reply = ask(f"ip-10-0-1-10.{ZONE}")
    dns = reply[DNS]
    assert (dns.id, dns.qr, dns.aa, dns.rd, dns.ra, dns.rcode) == (0x4242, 1, 1, 1, 0, NOERROR)
    assert answers(reply) == ["10.0.1.10"] and dns.an[0].ttl == 60
    assert dns.qd[0].qname == f"ip-10-0-1-10.{ZONE}.".encode()
    assert (reply.src, reply.dst) == (router_mac("eni-b"), vm_mac("eni-b"))
    assert (reply[IP].src, reply[IP].dst) == (AMAZON_DNS, "10.0.2.20")
    assert (reply[UDP].sport, reply[UDP].dport) == (53, 5353)


def test_secondary_address_and_vpc_base_plus_two() -> None:
    reply = ask(f"ip-10-0-1-11.{ZONE}", dst="10.0.0.2")
    assert answers(reply) == ["10.0.1.11"] and reply[IP].src == "10.0.0.2"


def test_us_east_1_answers_in_ec2_internal_and_the_regional_zone() -> None:
    for name in ("ip-10-0-1-10.ec2.internal", "ip-10-0-1-10.us-east-1.compute.internal"):
        assert answers(ask(name, region="us-east-1")) == ["10.0.1.10"]
    assert ask("ip-10-0-1-10.ec2.internal").rcode == REFUSED  # not a zone outside us-east-1


@pytest.mark.parametrize(
    "qname",
    [f"ip-10-9-1-30.{ZONE}",  # another VPC's address
     f"ip-10-0-1-99.{ZONE}",  # nobody holds it
     f"ip-10-0-01-10.{ZONE}",  # not the canonical spelling
     f"ip-10-0-1-10.extra.{ZONE}", f"web.{ZONE}"],
)  # fmt: skip
def test_other_names_in_the_zone_do_not_exist(qname: str) -> None:
    reply = ask(qname)
    assert (reply.rcode, reply.aa, reply.ancount) == (NXDOMAIN, 1, 0)


def test_zone_apex_exists_without_data() -> None:
    reply = ask(ZONE)
    assert (reply.rcode, reply.aa, reply.ancount) == (NOERROR, 1, 0)


@pytest.mark.parametrize("qname", ["example.com", "compute.internal", "amazonaws.com"])
def test_names_outside_our_zones_are_refused_not_recursed(qname: str) -> None:
    reply = ask(qname)
    assert (reply.rcode, reply.aa, reply.ra, reply.ancount) == (REFUSED, 0, 0, 0)


def test_aaaa_lists_the_enis_ipv6_addresses_and_is_empty_without_them() -> None:
    reply = ask(f"ip-10-0-1-10.{ZONE}", "AAAA")
    assert answers(reply) == ["2001:db8:1234:1a01::10", "2001:db8:1234:1a01::11"]
    reply = ask(f"ip-10-0-2-20.{ZONE}", "AAAA")
    assert (reply.rcode, reply.ancount) == (NOERROR, 0)
    assert ask(f"ip-10-0-1-10.{ZONE}", "MX").ancount == 0


def test_instance_id_name_is_case_insensitive_and_echoes_the_case_asked() -> None:
    reply = ask(f"I-0123456789ABCDEF0.{ZONE.upper()}")
    assert answers(reply) == ["10.0.1.10"]  # the instance's first ENI, primary address
    assert reply.qd[0].qname == f"I-0123456789ABCDEF0.{ZONE.upper()}.".encode()


def test_ptr_for_vpc_addresses() -> None:
    reply = ask("11.1.0.10.in-addr.arpa", "PTR")
    assert (reply.rcode, reply.aa) == (NOERROR, 1)
    assert answers(reply) == [f"ip-10-0-1-11.{ZONE}.".encode()]
    us_east = ask("10.1.0.10.in-addr.arpa", "PTR", region="us-east-1")
    assert answers(us_east) == [b"ip-10-0-1-10.ec2.internal."]
    assert ask("99.1.0.10.in-addr.arpa", "PTR").rcode == NXDOMAIN
    assert ask("30.1.9.10.in-addr.arpa", "PTR").rcode == REFUSED  # another VPC's range
    assert ask("8.8.8.8.in-addr.arpa", "PTR").rcode == REFUSED


def test_query_over_ipv6_is_answered_over_ipv6() -> None:
    query = DNS(id=7, rd=0, qd=DNSQR(qname=f"ip-10-0-1-10.{ZONE}", qtype="AAAA"))
    l3 = IPv6(src="2001:db8:1234:1a01::10", dst="fd00:ec2::253") / UDP(sport=40000, dport=53)
    frame = from_vm("eni-a", l3 / query)
    reply = only_reply(answer_dns(program(), "eni-a", frame, NOW_UNIX_S))
    assert (ip_layer(reply).src, ip_layer(reply).dst) == ("fd00:ec2::253", "2001:db8:1234:1a01::10")
    assert reply[DNS].rd == 0 and len(answers(reply)) == 2


def test_edns_query_gets_an_opt_record_back() -> None:
    reply = ask(f"ip-10-0-1-10.{ZONE}", ar=DNSRROPT(rclass=4096))
    assert reply.arcount == 1 and reply[DNS].ar[0].type == 41
    assert reply[DNS].ar[0].rclass == dns_wire.OUR_EDNS_UDP_BYTES


def test_unsupported_opcode_and_class() -> None:
    assert ask(f"ip-10-0-1-10.{ZONE}", opcode=2).rcode == NOTIMP
    query = DNS(rd=1, qd=DNSQR(qname=f"ip-10-0-1-10.{ZONE}", qclass="CH"))
    frame = from_vm("eni-b", IP(src="10.0.2.20", dst=AMAZON_DNS) / UDP(dport=53) / query)
    assert dissect(answer_dns(program(), "eni-b", frame, NOW_UNIX_S)[0]).rcode == REFUSED


def test_answers_that_do_not_fit_512_bytes_set_tc() -> None:
    query = dns_wire.decode_query(bytes(DNS(id=1, qd=DNSQR(qname="x", qtype="AAAA"))))
    many = [dns_wire.Record(dns_wire.TYPE_AAAA, 60, bytes(16))] * 30
    reply = DNS(dns_wire.encode_response(query, 0, True, many))
    assert (reply.tc, reply.ancount) == (1, 0)


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x00" * 11, bytes(DNS(qr=1, qd=DNSQR(qname="a"))),  # a response, not a query
     bytes(DNS(qd=[DNSQR(qname="a"), DNSQR(qname="b")])),  # two questions
     bytes(DNS(qd=DNSQR(qname="a")))[:-3],  # question cut short
     bytes(DNS(qdcount=1))[:12] + b"\xc0\x0c\x00\x01\x00\x01"],  # pointer loop in the question
)  # fmt: skip
def test_malformed_queries_get_no_answer(payload: bytes) -> None:
    frame = from_vm("eni-b", IP(src="10.0.2.20", dst=AMAZON_DNS) / UDP(dport=53) / payload)
    assert answer_dns(program(), "eni-b", frame, NOW_UNIX_S) == []


def test_no_answer_when_dns_support_is_off_or_port_differs() -> None:
    data = config_data()
    data["vpcs"][0]["enable_dns_support"] = False
    silent = compile_program(load_config(data))
    query = DNS(qd=DNSQR(qname=f"ip-10-0-1-10.{ZONE}"))
    frame = from_vm("eni-b", IP(src="10.0.2.20", dst=AMAZON_DNS) / UDP(dport=53) / query)
    assert answer_dns(silent, "eni-b", frame, NOW_UNIX_S) == []
    other_port = from_vm("eni-b", IP(src="10.0.2.20", dst=AMAZON_DNS) / UDP(dport=54) / query)
    assert answer_dns(program(), "eni-b", other_port, NOW_UNIX_S) == []
    assert answer_dns(program(), "eni-missing", frame, NOW_UNIX_S) == []
