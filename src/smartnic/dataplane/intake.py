"""Stage `decap`: accept a frame from the underlay only from who it claims to be.

The underlay is not trusted: any host may send anything. Checks, in order:
1. a well-formed VXLAN/Geneve frame addressed to this engine, not Geneve OAM;
2. an outer source that is a known host or the edge, and a known VNI;
3. a well-formed inner frame; neighbour discovery and ARP only from kernel VXLAN hosts
   (engines answer them locally, so none ever crosses the overlay between engines);
4. the sender: an ENI tag living on the outer source host, the gateway tag only from the
   edge, or — from a kernel VXLAN host (plain RFC 7348, no identity) — the ENI owning the
   inner source MAC, living on that host;
5. what that sender may send (the checks its own host ran, made again here):
   - an ENI sends only in its own VPC's VNI (mapping: the sending VPC's VNI);
   - it may send from the inner source (`Program.may_send_from`, as its own host's
     `src_dst_check` decides): one of its addresses; with the check off also an address
     no interface of its VPC (or a peered VPC) holds; another interface's address only
     as a legitimate next hop — check off and the target of a route of its VPC (RT-R8,
     RT-R7);
   - its own route for the inner destination leads to the receiver (`sender_route`): the
     same ENI (or, at the edge, the same gateway) its subnet's route table selects, so a
     path never skips a middlebox route and reaches a peered VPC only over a peering route
     of the sender's subnet (RT-R10); across a peering the inner source is inside the
     sending VPC (no transitive routing, no edge-to-edge);
   - from the edge (internet traffic): the VPC has an internet gateway, the inner source
     is not an address of the VPC or of a VPC peered with it (an outsider posing as an
     insider), and the destination is the receiver's own address (the edge's 1:1 NAT
     gives the private one) or the receiver is the target of the gateway route table's
     route for it (RT-R7).
Checks of 5 that need the receiver run when it is known (an ENI of this host named by the
inner destination MAC, or at the edge a gateway); otherwise the caller drops the frame.
Drops: `decap` (`not_for_this_host`, `geneve_oam`, `unknown_underlay_source`,
`unknown_vni`, `unexpected_neighbor_discovery`, `sender_mismatch`, `unknown_sender`,
`missing_sender_identity`, `sender_vpc_mismatch`, `inner_source_not_owned`,
`not_on_sender_route`, `no_route_over_peering`, `peering_not_transitive`,
`no_internet_gateway`, `gateway_source_inside_vpc`, `not_on_gateway_route`, packet
reasons) and `parse`; counted on the receiving ENI once it is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler import routes as rk
from smartnic.compiler.program import Program
from smartnic.compiler.sg import GATEWAY_TAG, UNKNOWN_TAG
from smartnic.compiler.views import EniView, VpcView
from smartnic.dataplane.l2 import is_l2_control
from smartnic.dataplane.verdict import Drop
from smartnic.packet import MalformedPacket, OverlayHeader, Packet, decapsulate, parse_frame


@dataclass(slots=True)
class Arrival:
    overlay: OverlayHeader
    inner: bytes
    pkt: Packet
    vpc: VpcView
    sender: EniView | None
    sender_tag: int
    from_edge: bool
    source_host: str | None


def receive(program: Program, own_ip: int, frame: bytes) -> Arrival | Drop:
    try:
        overlay, inner = decapsulate(frame)
    except MalformedPacket as error:
        return Drop("decap", error.reason)
    if overlay.outer_dst_ip != own_ip:
        return Drop("decap", "not_for_this_host")
    if overlay.oam:
        return Drop("decap", "geneve_oam")
    from_edge = overlay.outer_src_ip == program.edge_underlay_ip
    source_host = program.host_by_underlay.get(overlay.outer_src_ip)
    if source_host is None and not from_edge:
        return Drop("decap", "unknown_underlay_source")
    vpc = program.vpc_by_vni.get(overlay.vni)
    if vpc is None:
        return Drop("decap", "unknown_vni")
    try:
        pkt = parse_frame(inner)
    except MalformedPacket as error:
        return Drop("parse", error.reason)
    receiver = local_receiver(program, own_ip, pkt)
    eni_id = receiver.id if receiver is not None else None
    plain_peer = source_host is not None and program.hosts[source_host].kind == "kernel"
    if pkt.ip_version == 0 and not (plain_peer and pkt.arp is not None):
        return Drop("parse", "not_ip", eni_id)
    if is_l2_control(pkt) and not plain_peer:
        return Drop("decap", "unexpected_neighbor_discovery", eni_id)
    tag = overlay.sender_tag if overlay.sender_tag is not None else UNKNOWN_TAG
    sender, problem = _sender(program, tag, source_host, from_edge, pkt, plain_peer)
    if problem is None:
        problem = (_edge_problem(program, vpc, pkt, receiver) if tag == GATEWAY_TAG
                   else _sender_problem(program, own_ip, vpc, sender, pkt, receiver))
    if problem:
        return Drop("decap", problem, eni_id)
    if tag == UNKNOWN_TAG and sender is not None:
        tag = sender.tag  # the ENI the inner source MAC named: flows keyed and matched by it
    return Arrival(overlay, inner, pkt, vpc, sender, tag, from_edge, source_host)


def local_receiver(program: Program, own_ip: int, pkt: Packet) -> EniView | None:
    """The ENI of this host the inner destination MAC names (None at the edge)."""
    host = program.host_by_underlay.get(own_ip)
    eni = program.eni_by_mac.get(pkt.eth_dst)
    return eni if eni is not None and host is not None and eni.host_id == host else None


def sender_route(program: Program, sender: EniView, version: int,
                 address: int) -> EniView | str | None:
    """Where `sender`'s own route stage sends a packet to `address`: the receiving ENI, a
    gateway id, or None (dropped there). Mirrors stages/route.py (RT-R3, RT-R9, RT-R10)."""
    subnet, vpc_id = program.subnet_of(sender), sender.vpc_id
    if subnet.contains(version, address):
        return program.owner_of(vpc_id, version, address)
    entry = program.route_tables[subnet.route_table_id].lookup(version, address)
    if entry is None or entry.kind == rk.KIND_BLACKHOLE:
        return None
    if entry.kind == rk.KIND_LOCAL:
        return program.owner_of(vpc_id, version, address)
    if entry.kind == rk.KIND_ENI:
        return program.enis[entry.target_eni] if entry.target_eni else None
    if entry.kind == rk.KIND_PEERING:
        peer = program.vpcs[entry.peer_vpc or ""]
        return program.owner_of(peer.id, version, address) if peer.contains(
            version, address) else None
    return entry.target


def _sender(
    program: Program, tag: int, source_host: str | None, from_edge: bool, pkt: Packet,
    plain_peer: bool,
) -> tuple[EniView | None, str | None]:
    if tag == GATEWAY_TAG:
        return None, None if from_edge else "sender_mismatch"
    if tag == UNKNOWN_TAG:
        if not plain_peer:
            return None, "missing_sender_identity"
        sender = program.eni_by_mac.get(pkt.eth_src)
        if sender is None:
            return None, "unknown_sender"
        return (sender, None) if sender.host_id == source_host else (None, "sender_mismatch")
    sender = program.eni_by_tag.get(tag)
    if sender is None:
        return None, "unknown_sender"
    if sender.host_id != source_host:
        return None, "sender_mismatch"
    return sender, None


def _sender_problem(program: Program, own_ip: int, vpc: VpcView, sender: EniView | None,
                    pkt: Packet, receiver: EniView | None) -> str | None:
    """What an ENI may send: its own VPC's VNI, its own source, along its own route."""
    assert sender is not None
    if sender.vpc_id != vpc.id:
        return "sender_vpc_mismatch"
    if pkt.ip_version == 0 or is_l2_control(pkt):
        return None  # ARP/ND from a kernel VXLAN host: answered here, never forwarded
    version, src = pkt.ip_version, pkt.src_ip
    if not program.may_send_from(sender, version, src):
        return "inner_source_not_owned"
    if receiver is None:
        if own_ip != program.edge_underlay_ip:
            return None  # no ENI of this host: the engine drops it as `unknown_eni`
        gateway = program.gateway_by_mac.get(pkt.eth_dst)
        if gateway is None:
            return None  # the edge drops it as `unknown_gateway`
        return None if sender_route(program, sender, version, pkt.dst_ip) == gateway else (
            "not_on_sender_route")
    if sender_route(program, sender, version, pkt.dst_ip) is not receiver:
        return "no_route_over_peering" if receiver.vpc_id != vpc.id else "not_on_sender_route"
    if receiver.vpc_id != vpc.id and not vpc.contains(version, src):
        return "peering_not_transitive"
    return None


def _edge_problem(program: Program, vpc: VpcView, pkt: Packet,
                  receiver: EniView | None) -> str | None:
    """Internet traffic the edge carries in through the VPC's internet gateway (ORD-R5)."""
    if vpc.igw_id is None:
        return "no_internet_gateway"
    version, src, dst = pkt.ip_version, pkt.src_ip, pkt.dst_ip
    if any(program.vpcs[v].contains(version, src) for v in program.vpc_and_peers(vpc.id)):
        return "gateway_source_inside_vpc"
    if receiver is None or receiver.owns(version, dst):
        return None
    table = program.edge_route_tables.get(vpc.igw_id)
    entry = table.lookup(version, dst) if table is not None else None
    if entry is not None and entry.kind == rk.KIND_ENI and entry.target_eni == receiver.id:
        return None
    return "not_on_gateway_route"
