"""The VPC edge: internet gateways and VPN gateways, as one engine on the underlay.

Outbound (from the underlay): the inner destination MAC names the gateway. An internet
gateway rewrites a private IPv4 source to the ENI's public address (1:1 NAT) and sends
the packet to the internet; a packet to one of the cloud's own public addresses turns
around and comes back in (hairpin). A VPN gateway's far side is not modelled: the packet
leaves on port `gateway:<id>`.
Inbound (from the internet): a public IPv4 destination is translated to the ENI's
private address; an IPv6 destination must be an ENI address of a VPC with an internet
gateway. A gateway route table (edge association, RT-R7) may send it to a middlebox.
Then it is encapsulated to the receiving host with the gateway identity; the receiver's
NACL and SG decide (ORD-R5).
Drops: `decap`, `parse`, `no_transit` (`no_public_ipv4`, `no_internet_gateway`),
`no_destination` (`unknown_public_ip`), `route_blackhole`.
"""

from __future__ import annotations

from smartnic.clock import Clock
from smartnic.compiler import routes as rk
from smartnic.compiler.cidr import format_ip
from smartnic.compiler.mapping import EDGE_HOST_ID
from smartnic.compiler.program import Program
from smartnic.compiler.sg import GATEWAY_TAG
from smartnic.compiler.views import EniView, VpcView
from smartnic.dataplane.actions import ToUnderlay
from smartnic.dataplane.intake import Arrival, receive
from smartnic.dataplane.journal import PacketEvent
from smartnic.dataplane.keys import flow_entropy
from smartnic.dataplane.l2 import is_l2_control
from smartnic.dataplane.nat import rewrite_ipv4
from smartnic.dataplane.runner import Emission, overlay_frame
from smartnic.dataplane.verdict import DROP, FORWARD, PASS, Drop, Hop
from smartnic.packet import (
    MalformedPacket,
    Packet,
    build_arp,
    build_neighbor_advertisement,
    flow_entropy_port,
    parse_frame,
)
from smartnic.ports.base import Port
from smartnic.telemetry.counters import Counters

INTERNET = "internet"
INTERNET_ROUTER_MAC = bytes.fromhex("0e0000000001")


class EdgeEngine:
    def __init__(self, program: Program, clock: Clock, underlay: Port, *,
                 journal: bool = False) -> None:
        self.name = EDGE_HOST_ID
        self.program = program
        self.clock = clock
        self.underlay = underlay
        self.external: dict[str, Port] = {}
        self.counters = Counters()
        self.journal: list[PacketEvent] | None = [] if journal else None

    def load(self, program: Program) -> None:
        self.program = program

    def attach(self, name: str, port: Port) -> None:
        self.external[name] = port

    def poll(self) -> int:
        handled = 0
        for name, port in list(self.external.items()):
            frames = port.rx_batch()
            handled += len(frames)
            self.transmit([e for f in frames for e in self.from_external(name, f)])
        frames = self.underlay.rx_batch()
        handled += len(frames)
        self.transmit([e for f in frames for e in self.from_underlay(f)])
        return handled

    def transmit(self, emissions: list[Emission]) -> None:
        for emission in emissions:
            port = self.underlay if emission.port == "underlay" else self.external.get(
                emission.port)
            if port is not None:
                port.tx_batch([emission.frame])

    # -- leaving the cloud ---------------------------------------------------------------
    def from_underlay(self, frame: bytes) -> list[Emission]:
        hops: list[Hop] = []
        arrival = receive(self.program, self.program.edge_underlay_ip, frame)
        if isinstance(arrival, Drop):
            return self._finish("underlay", hops, arrival, [])
        gateway = self.program.gateway_by_mac.get(arrival.pkt.eth_dst)
        if gateway is None or arrival.sender is None:
            return self._finish("underlay", hops, Drop("decap", "unknown_gateway"), [])
        if not gateway.startswith("igw-"):
            hops.append(Hop(self.name, "gateway", FORWARD, f"leaves through VPN gateway {gateway}"))
            return self._finish("underlay", hops, None,
                                [Emission(f"gateway:{gateway}", arrival.inner)])
        return self._to_internet(arrival, gateway, hops)

    def _to_internet(self, arrival: Arrival, igw: str, hops: list[Hop]) -> list[Emission]:
        pkt, frame = arrival.pkt, arrival.inner
        if pkt.ip_version == 4:
            owner = self.program.owner_of(arrival.vpc.id, 4, pkt.src_ip)
            if owner is None or owner.public_ipv4 is None:
                return self._finish("underlay", hops, Drop("no_transit", "no_public_ipv4"), [])
            frame = rewrite_ipv4(frame, pkt, src=owner.public_ipv4)
            hops.append(Hop(self.name, "igw_nat", PASS, f"{igw}: source "
                            f"{format_ip(4, pkt.src_ip)} -> {format_ip(4, owner.public_ipv4)}"))
            if pkt.dst_ip in self.program.public_owner:
                hops.append(Hop(self.name, "igw_nat", FORWARD, "hairpin: destination is a "
                                                               "public address of this cloud"))
                self._finish("underlay", hops, None, [])
                return self.from_external(INTERNET, frame)
        out = INTERNET_ROUTER_MAC + self.program.gateway_macs[igw] + frame[12:]
        hops.append(Hop(self.name, "gateway", FORWARD, f"to the internet through {igw}"))
        return self._finish("underlay", hops, None, [Emission(INTERNET, out)])

    # -- entering the cloud --------------------------------------------------------------
    def from_external(self, name: str, frame: bytes) -> list[Emission]:
        hops: list[Hop] = []
        try:
            pkt = parse_frame(frame)
        except MalformedPacket as error:
            return self._finish(name, hops, Drop("parse", error.reason), [])
        if name == INTERNET and is_l2_control(pkt):
            return self._answer_neighbors(pkt, hops)
        if name != INTERNET or pkt.ip_version == 0:
            return self._finish(name, hops, Drop("parse", "not_ip"), [])
        found = self._public_target(pkt, hops)
        if isinstance(found, Drop):
            return self._finish(name, hops, found, [])
        eni, vpc = found
        if pkt.ip_version == 4:
            frame = rewrite_ipv4(frame, pkt, dst=eni.primary_ipv4)
            pkt = parse_frame(frame, verify_checksums=False)
        target = self._ingress_route(vpc, pkt, eni, hops)
        if isinstance(target, Drop):
            return self._finish(name, hops, target, [])
        return self._finish(name, hops, None, [self._encap(vpc, target, frame, pkt, hops)])

    def _answer_neighbors(self, pkt: Packet, hops: list[Hop]) -> list[Emission]:
        """The internet's router resolves the cloud's public addresses to the gateway MAC."""
        target = pkt.arp.target_ip if pkt.arp is not None else pkt.nd_target
        version = 4 if pkt.arp is not None else 6
        found = None if target is None else self._public_target_of(version, target)
        if target is None or found is None or (pkt.arp is not None and pkt.arp.op != 1):
            hops.append(Hop(self.name, "l2", "skip", "not a public address of this cloud"))
            return self._finish(INTERNET, hops, None, [])
        mac = self.program.gateway_macs[self.program.vpcs[found.vpc_id].igw_id or ""]
        if pkt.arp is not None:
            reply = build_arp(op=2, sender_mac=mac, sender_ip=target, target_mac=pkt.arp.sender_mac,
                              target_ip=pkt.arp.sender_ip, eth_dst=pkt.arp.sender_mac)
        else:
            reply = build_neighbor_advertisement(
                src_mac=mac, dst_mac=pkt.eth_src, src_ip=target, dst_ip=pkt.src_ip,
                target_ip=target, target_mac=mac, router=True, solicited=True)
        hops.append(Hop(self.name, "l2", "answer", "public address answered by the gateway"))
        return self._finish(INTERNET, hops, None, [Emission(INTERNET, reply)])

    def _public_target_of(self, version: int, address: int) -> EniView | None:
        program = self.program
        if version == 4:
            eni_id = program.public_owner.get(address)
            return program.enis[eni_id] if eni_id else None
        return next((e for v in program.vpcs.values() if v.igw_id
                     for e in [program.owner_of(v.id, 6, address)] if e), None)

    def _public_target(self, pkt: Packet, hops: list[Hop]) -> tuple[EniView, VpcView] | Drop:
        eni = self._public_target_of(pkt.ip_version, pkt.dst_ip)
        if eni is None:
            return Drop("no_destination", "unknown_public_ip")
        vpc = self.program.vpcs[eni.vpc_id]
        if vpc.igw_id is None:
            return Drop("no_transit", "no_internet_gateway")
        if pkt.ip_version == 4:
            hops.append(Hop(self.name, "igw_nat", PASS, f"{vpc.igw_id}: destination "
                            f"{format_ip(4, pkt.dst_ip)} -> {format_ip(4, eni.primary_ipv4)}"))
        return eni, vpc

    def _ingress_route(self, vpc: VpcView, pkt: Packet, eni: EniView,
                       hops: list[Hop]) -> EniView | Drop:
        table = self.program.edge_route_tables.get(vpc.igw_id or "")
        if table is None:
            return eni
        route = table.lookup(pkt.ip_version, pkt.dst_ip)
        rule = f"{table.id}: {route.describe()}" if route else None
        if route is not None and route.kind == rk.KIND_ENI and route.target_eni:
            hops.append(Hop(self.name, "route", PASS, "gateway route table (RT-R7)", rule))
            return self.program.enis[route.target_eni]
        if route is not None and route.kind == rk.KIND_BLACKHOLE:
            return Drop("route_blackhole", "target_unavailable")
        return eni

    def _encap(self, vpc: VpcView, target: EniView, frame: bytes, pkt: Packet,
               hops: list[Hop]) -> Emission:
        host = self.program.hosts[target.host_id]
        port = flow_entropy_port(flow_entropy(pkt))
        output = ToUnderlay(host.id, host.underlay_ip, vpc.vni, GATEWAY_TAG,
                            self.program.gateway_macs[vpc.igw_id or ""], target.mac, port)
        hops.append(Hop(self.name, "mapping", FORWARD, f"{self.program.overlay.upper()} VNI "
                        f"{vpc.vni} to {host.id} for {target.id}"))
        return Emission("underlay", overlay_frame(self.program.overlay,
                                                  self.program.edge_underlay_ip, output, frame))

    def _finish(self, source: str, hops: list[Hop], drop: Drop | None,
                emitted: list[Emission]) -> list[Emission]:
        if drop is not None:
            self.counters.drop(None, drop.stage, drop.reason)
            hops.append(Hop(self.name, drop.stage, DROP, drop.reason))
        if self.journal is not None:
            final = next((e.port for e in emitted if e.port != "underlay"), None)
            self.journal.append(PacketEvent(self.name, source, tuple(hops), drop,
                                            tuple(e.port for e in emitted), False, final))
        return emitted
