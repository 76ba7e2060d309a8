"""Amazon DNS (the Route 53 Resolver at VPC base+2, 169.254.169.253, fd00:ec2::253; DNS-R1).

Responder for UDP port 53 over IPv4 and IPv6. Authoritative (AA) for the VPC's private
zones only, never recursive (RA 0): traffic goes nowhere beyond the namespaces we build.

- `ip-A-B-C-D.<zone>` → A when an ENI of the asker's VPC holds A.B.C.D; AAAA → that
  ENI's IPv6 addresses. `<instance-id>.<zone>` → the same for the instance's first ENI.
- `D.C.B.A.in-addr.arpa` inside a VPC CIDR → PTR to the ENI's `ip-` hostname.
- Other names in those zones → NXDOMAIN (the zone apex → NOERROR, no data);
  any other name → REFUSED. Non-QUERY opcodes → NOTIMP. Malformed queries → no answer.

Zones: `<region>.compute.internal`, plus `ec2.internal` in us-east-1 (see `names`).
Input: (program, eni_id, frame, now); output: zero or one reply frame. TTL 60 s.
"""

from __future__ import annotations

import ipaddress

from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView, VpcView
from smartnic.dataplane.services import dns_wire as wire
from smartnic.dataplane.services.exchange import read_request, udp_reply
from smartnic.dataplane.services.names import ip_label, private_hostname, private_zones
from smartnic.packet.l4 import PROTO_UDP

DNS_PORT = 53
TTL_S = 60
_REVERSE_SUFFIX = ".in-addr.arpa"

Outcome = tuple[int, bool, list[wire.Record]]  # rcode, authoritative, answers


def answer_dns(program: Program, eni_id: str, frame: bytes, now_unix_s: float) -> list[bytes]:
    request = read_request(program, eni_id, frame, PROTO_UDP, DNS_PORT)
    if request is None or not request.vpc.dns_enabled:
        return []
    try:
        query = wire.decode_query(request.payload)
    except wire.DnsFormatError:
        return []
    rcode, authoritative, records = resolve(program, request.vpc, query)
    return [udp_reply(request, wire.encode_response(query, rcode, authoritative, records))]


def resolve(program: Program, vpc: VpcView, query: wire.Query) -> Outcome:
    if query.opcode != wire.OPCODE_QUERY:
        return wire.RCODE_NOTIMP, False, []
    if query.qclass != wire.CLASS_IN:
        return wire.RCODE_REFUSED, False, []
    name = query.name
    if name.endswith(_REVERSE_SUFFIX):
        return _reverse(program, vpc, name, query.qtype)
    zone = next((z for z in private_zones(program.config.region) if _within(name, z)), None)
    if zone is None:
        return wire.RCODE_REFUSED, False, []
    if name == zone:
        return wire.RCODE_NOERROR, True, []
    target = _host(program, vpc, name[: -len(zone) - 1])
    if target is None:
        return wire.RCODE_NXDOMAIN, True, []
    eni, ipv4 = target
    return wire.RCODE_NOERROR, True, _address_records(eni, ipv4, query.qtype)


def _within(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def _host(program: Program, vpc: VpcView, host: str) -> tuple[EniView, int] | None:
    """The ENI (and IPv4 address) a hostname label names, within the asker's VPC."""
    if host.startswith("ip-"):
        ipv4 = _dashed_ipv4(host[3:])
        owner = None if ipv4 is None else program.owner_of(vpc.id, 4, ipv4)
        return None if owner is None or ipv4 is None else (owner, ipv4)
    for eni in program.enis.values():  # config order: an instance's first ENI answers
        if eni.vpc_id == vpc.id and eni.instance_id and eni.instance_id.lower() == host:
            return eni, eni.primary_ipv4
    return None


def _address_records(eni: EniView, ipv4: int, qtype: int) -> list[wire.Record]:
    records = []
    if qtype in (wire.TYPE_A, wire.TYPE_ANY):
        records.append(wire.Record(wire.TYPE_A, TTL_S, ipv4.to_bytes(4, "big")))
    if qtype in (wire.TYPE_AAAA, wire.TYPE_ANY):
        records += [wire.Record(wire.TYPE_AAAA, TTL_S, a.to_bytes(16, "big"))
                    for a in sorted(eni.ipv6)]  # fmt: skip
    return records


def _reverse(program: Program, vpc: VpcView, name: str, qtype: int) -> Outcome:
    """PTR within the VPC's IPv4 CIDRs (we are authoritative there), REFUSED elsewhere."""
    octets = name[: -len(_REVERSE_SUFFIX)].split(".")
    ipv4 = _dashed_ipv4("-".join(reversed(octets))) if len(octets) == 4 else None
    if ipv4 is None or not vpc.contains(4, ipv4):
        return wire.RCODE_REFUSED, False, []
    if program.owner_of(vpc.id, 4, ipv4) is None:
        return wire.RCODE_NXDOMAIN, True, []
    if qtype not in (wire.TYPE_PTR, wire.TYPE_ANY):
        return wire.RCODE_NOERROR, True, []
    hostname = private_hostname(ipv4, program.config.region)
    rdata = wire.encode_name([label.encode() for label in hostname.split(".")])
    return wire.RCODE_NOERROR, True, [wire.Record(wire.TYPE_PTR, TTL_S, rdata)]


def _dashed_ipv4(text: str) -> int | None:
    """`10-0-1-10` → the address, only in canonical form (no leading zeros, 0..255)."""
    try:
        address = int(ipaddress.IPv4Address(text.replace("-", ".")))
    except ValueError:
        return None
    return address if ip_label(address) == "ip-" + text else None
