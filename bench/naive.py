"""A naive per-packet pure-Python implementation of the engine's pipeline: the baseline.

What a straightforward implementation does for every packet, with no flow cache:
- from a VM: parse Ethernet/IPv4/L4 with `struct`, source check, stateful security group
  (a dict of connections; a packet of no known connection scans the union of egress
  rules and starts one), route (scan every route, keep the longest match), NACL egress
  (first match by number), mapping (destination address -> ENI -> host), VXLAN-GBP
  encapsulation with a fresh outer IPv4 checksum;
- from the underlay: outer checks (ours, VXLAN port, flags, known VNI, sender identity
  living on the outer source host), inner parse, NACL ingress, security group ingress,
  delivery with the router's MAC rewrite.
Input: `NaiveTables` (bench.naive_tables) of one host. Output per packet: a verdict
("underlay", host) / ("vm", eni) / ("gateway", target) / ("drop", stage) and the frame sent.
Scope: IPv4 TCP/UDP/ICMP between ENIs of one VPC; IPv6 and services are out of scope.
"""

from __future__ import annotations

import struct
import zlib

from bench.naive_tables import (
    NaclRule,
    NaiveEni,
    NaiveTables,
    SgRule,
    is_internet_route,
    is_local_route,
)

Verdict = tuple[str, str]
Pkt = tuple[int, int, int, int, int, int, int]  # proto, src, dst, sport, dport, type, code
_ETH = struct.Struct("!6s6sH")
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_PORTS = struct.Struct("!HH")
_OUTER = struct.Struct("!6s6sHBBHHHBBHIIHHHHBBHI")
VXLAN_PORT = 4789
IP_HEADER_WORDS = 10


def parse(frame: bytes) -> Pkt | None:
    """(proto, src, dst, sport, dport, icmp_type, icmp_code) of an IPv4 frame, else None."""
    if len(frame) < 34 or _ETH.unpack_from(frame)[2] != 0x0800:
        return None
    ver_ihl, _, _, _, _, _, proto, _, src, dst = _IPV4.unpack_from(frame, 14)
    l4 = 14 + (ver_ihl & 0x0F) * 4
    sport = dport = icmp_type = icmp_code = 0
    if proto in (6, 17):
        sport, dport = _PORTS.unpack_from(frame, l4)
    elif proto == 1:
        icmp_type, icmp_code = frame[l4], frame[l4 + 1]
        sport = int.from_bytes(frame[l4 + 4:l4 + 6], "big")  # echo identifier
    return (proto, int.from_bytes(src, "big"), int.from_bytes(dst, "big"), sport, dport,
            icmp_type, icmp_code)


def _l4_ok(proto: int, lo: int, hi: int, itype: int, icode: int, pkt: Pkt) -> bool:
    if proto != -1 and proto != pkt[0]:
        return False
    if proto in (6, 17):
        return lo <= pkt[4] <= hi
    if proto == 1:
        return (itype == -1 or itype == pkt[5]) and (icode == -1 or icode == pkt[6])
    return True


def sg_allows(rules: list[SgRule], pkt: Pkt, peer: int, tag: int | None) -> bool:
    """Any rule of the union matching (every rule is looked at, as the union is a set)."""
    allowed = False
    for proto, lo, hi, itype, icode, cidrs, members, tags in rules:
        if not _l4_ok(proto, lo, hi, itype, icode, pkt):
            continue
        if members is None:
            allowed |= any(peer & mask == net for net, mask in cidrs)
        elif (4, peer) in members and (tag is None or tag == 0 or tag in (tags or ())):
            allowed = True
    return allowed


def nacl_allows(rules: list[NaclRule], pkt: Pkt, peer: int) -> bool:
    for allow, net, mask, proto, lo, hi, itype, icode in rules:
        if peer & mask == net and _l4_ok(proto, lo, hi, itype, icode, pkt):
            return allow
    return False  # the implicit '*' rule


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{IP_HEADER_WORDS}H", header))
    total = (total & 0xFFFF) + (total >> 16)
    return ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF


class NaiveHost:
    """One host's naive data plane; `conns` is its connection tracking, per ENI."""

    def __init__(self, tables: NaiveTables) -> None:
        self.t = tables
        self.conns: dict[tuple[str, int, int, int, int, int], bool] = {}

    def _tracked(self, eni: str, pkt: Pkt) -> bool:
        proto, src, dst, sport, dport = pkt[:5]
        if proto == 1:  # echo request/reply share the identifier
            return (eni, 1, src, sport, dst, 8) in self.conns or (
                pkt[5] == 0 and (eni, 1, dst, sport, src, 8) in self.conns)
        return (eni, proto, src, sport, dst, dport) in self.conns or (
            eni, proto, dst, dport, src, sport) in self.conns

    def _track(self, eni: str, pkt: Pkt) -> None:
        proto, src, dst, sport, dport = pkt[:5]
        key = (eni, 1, src, sport, dst, 8) if proto == 1 else (eni, proto, src, sport, dst, dport)
        self.conns[key] = True

    def _sg(self, eni: NaiveEni, rules: list[SgRule], pkt: Pkt, peer: int,
            tag: int | None) -> bool:
        if self._tracked(eni.id, pkt):
            return True
        if not sg_allows(rules, pkt, peer, tag):
            return False
        if pkt[0] != 1 or pkt[5] == 8:
            self._track(eni.id, pkt)
        return True

    def from_vm(self, eni_id: str, frame: bytes) -> tuple[Verdict, bytes | None]:
        eni = self.t.enis[eni_id]
        pkt = parse(frame)
        if pkt is None or frame[6:12] != eni.mac:
            return ("drop", "parse"), None
        if pkt[1] not in eni.ipv4:
            return ("drop", "src_dst_check"), None
        if not self._sg(eni, eni.egress, pkt, pkt[2], None):
            return ("drop", "src_sg_egress"), None
        same_subnet = pkt[2] & eni.subnet_mask == eni.subnet_network
        gateway: str | None = None
        public_needed = False
        if not same_subnet:
            best = None
            for route in eni.routes:  # longest prefix; the first of equals wins
                if pkt[2] & route[1] == route[0] and (best is None or route[2] > best[2]):
                    best = route
            if best is None:
                return ("drop", "no_route"), None
            gateway = None if is_local_route(best[3]) else best[4]
            public_needed = is_internet_route(best[3])
        owner = None if gateway else self.t.owners.get(pkt[2])
        if owner is None and gateway is None:
            return ("drop", "no_destination"), None
        if not same_subnet and not nacl_allows(eni.nacl_egress, pkt, pkt[2]):
            return ("drop", "src_nacl_egress"), None
        if owner is None:
            if public_needed and not eni.has_public_ipv4:
                return ("drop", "no_transit"), None
            return ("gateway", str(gateway)), None
        return self._encap(eni, owner, frame, pkt, same_subnet)

    def _encap(self, eni: NaiveEni, owner: tuple[str, str, str], frame: bytes,
               pkt: Pkt, same_subnet: bool) -> tuple[Verdict, bytes]:
        src_mac = eni.mac if same_subnet else eni.router_mac
        inner = self.t.eni_macs[owner[0]] + src_mac + frame[12:]
        dst_ip, own = self.t.host_ips[owner[1]], self.t.underlay_ip
        sport = 49152 + (zlib.crc32(repr(pkt[:5]).encode()) & 0x3FFF)
        udp_len = 16 + len(inner)
        ip = _IPV4.pack(0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, own.to_bytes(4, "big"),
                        dst_ip.to_bytes(4, "big"))
        ip = ip[:10] + _checksum(ip).to_bytes(2, "big") + ip[12:]
        outer = (b"\x02\x5e" + dst_ip.to_bytes(4, "big") + b"\x02\x5e" + own.to_bytes(4, "big")
                 + b"\x08\x00" + ip + struct.pack("!HHHHBBHI", sport, VXLAN_PORT, udp_len, 0,
                                                  0x88, 0, eni.tag, eni.vni << 8))
        return ("underlay", owner[1]), outer + inner

    def from_underlay(self, frame: bytes) -> tuple[Verdict, bytes | None]:
        outer = parse(frame)
        if outer is None or outer[2] != self.t.underlay_ip or outer[0] != 17 \
                or outer[4] != VXLAN_PORT or frame[42] not in (0x08, 0x88):
            return ("drop", "decap"), None
        source_host = self.t.host_of_ip.get(outer[1])
        vni = int.from_bytes(frame[46:49], "big")
        tag = int.from_bytes(frame[44:46], "big") if frame[42] == 0x88 else 0
        if source_host is None or vni not in self.t.vnis or self.t.tag_host.get(tag) != \
                source_host:
            return ("drop", "decap"), None
        inner = frame[50:]
        pkt = parse(inner)
        eni = self.t.by_mac.get(inner[0:6])
        if pkt is None or eni is None:
            return ("drop", "decap"), None
        sender = self.t.owners.get(pkt[1])
        inside = sender is not None and pkt[1] & eni.subnet_mask == eni.subnet_network
        if not inside and not nacl_allows(eni.nacl_ingress, pkt, pkt[1]):
            return ("drop", "dst_nacl_ingress"), None
        if pkt[2] not in eni.ipv4:
            return ("drop", "src_dst_check"), None
        if not self._sg(eni, eni.ingress, pkt, pkt[1], tag):
            return ("drop", "dst_sg_ingress"), None
        src_mac = inner[6:12] if inside else eni.router_mac
        return ("vm", eni.id), eni.mac + src_mac + inner[12:]

    def vm_batch(self, eni_id: str, frames: list[bytes]) -> int:
        """Process `frames` from a VM; returns how many left for the underlay."""
        return sum(self.from_vm(eni_id, f)[1] is not None for f in frames)

    def underlay_batch(self, frames: list[bytes]) -> int:
        """Process `frames` from the underlay; returns how many were delivered."""
        return sum(self.from_underlay(f)[1] is not None for f in frames)
