"""Stage `decap`: accept a frame from the underlay only from who it claims to be.

Checks, in order: a well-formed VXLAN/Geneve frame addressed to this engine; an outer
source that is a known host or the edge; a known VNI; a well-formed inner frame; a sender
identity that lives on the outer source host (an ENI tag) or is the edge's gateway tag.
A kernel VXLAN host (plain RFC 7348) carries no identity: its sender is the ENI owning the
inner source MAC, which must live on that host. ARP and neighbour discovery arrive only
from such hosts (smartnic engines answer them locally) and are returned for the engine to
answer. Drops: `decap` (`not_for_this_host`, `unknown_underlay_source`, `unknown_vni`,
`sender_mismatch`, `unknown_sender`, `missing_sender_identity`, `geneve_oam`, packet
reasons) and `parse`.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.program import Program
from smartnic.compiler.sg import GATEWAY_TAG, UNKNOWN_TAG
from smartnic.compiler.views import EniView, VpcView
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
    plain_peer = source_host is not None and program.hosts[source_host].kind == "kernel"
    if pkt.ip_version == 0 and not (plain_peer and pkt.arp is not None):
        return Drop("parse", "not_ip")
    tag = overlay.sender_tag if overlay.sender_tag is not None else UNKNOWN_TAG
    sender, problem = _sender(program, tag, source_host, from_edge, pkt, plain_peer)
    if problem:
        return Drop("decap", problem)
    return Arrival(overlay, inner, pkt, vpc, sender, tag, from_edge, source_host)


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
