"""Request intake and reply framing shared by the service responders.

`read_request` turns the frame a VM sent to a service into a `Request` (the parsed packet,
its ENI and VPC, and the L4 payload), or None when the frame is not for that service or
does not decode: responders answer nothing to such frames, they never raise.
`reply_frame` builds the answer: from the VPC router MAC to the VM's MAC, from the
service address the VM used, with ports swapped and checksums filled.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.program import Program
from smartnic.compiler.views import EniView, VpcView
from smartnic.packet import MalformedPacket, Packet, parse_frame
from smartnic.packet.build import ip_frame
from smartnic.packet.l4 import PROTO_UDP
from smartnic.packet.udp import UDP_HEADER_BYTES, Udp


@dataclass(frozen=True, slots=True)
class Request:
    eni: EniView
    vpc: VpcView
    pkt: Packet
    payload: bytes  # the L4 payload, without Ethernet padding


def read_request(
    program: Program, eni_id: str, frame: bytes, proto: int, dport: int
) -> Request | None:
    """The request in `frame` if it is an unfragmented `proto` packet to port `dport`."""
    eni = program.enis.get(eni_id)
    if eni is None:
        return None
    try:
        pkt = parse_frame(frame)
    except MalformedPacket:
        return None
    if pkt.ip_version not in (4, 6) or pkt.proto != proto or pkt.dport != dport:
        return None
    if pkt.is_fragment or pkt.payload_offset is None or pkt.l4_offset is None:
        return None
    end = pkt.l3_offset + pkt.ip_total_length
    if proto == PROTO_UDP:
        end = pkt.l4_offset + Udp.unpack(frame, pkt.l4_offset)[0].length
    return Request(eni, program.vpcs[eni.vpc_id], pkt, bytes(frame[pkt.payload_offset : end]))


def udp_reply(
    request: Request, payload: bytes, *, src_ip: int | None = None,
    dst_ip: int | None = None, eth_dst: bytes | None = None,
) -> bytes:  # fmt: skip
    """A UDP datagram back to the requester; addresses default to the request's, swapped."""
    pkt = request.pkt
    header = Udp(pkt.dport, pkt.sport, UDP_HEADER_BYTES + len(payload)).pack()
    return ip_frame(
        eth_src=request.vpc.router_mac,
        eth_dst=request.eni.mac if eth_dst is None else eth_dst,
        ip_version=pkt.ip_version,
        src_ip=pkt.dst_ip if src_ip is None else src_ip,
        dst_ip=pkt.src_ip if dst_ip is None else dst_ip,
        proto=PROTO_UDP,
        segment=header + payload,
    )


def segment_reply(request: Request, segment: bytes) -> bytes:
    """An L4 segment (checksum field zero) back to the requester, addresses swapped."""
    pkt = request.pkt
    return ip_frame(
        eth_src=request.vpc.router_mac, eth_dst=request.eni.mac, ip_version=pkt.ip_version,
        src_ip=pkt.dst_ip, dst_ip=pkt.src_ip, proto=pkt.proto, segment=segment,
    )  # fmt: skip
