"""Instance metadata (169.254.169.254, fd00:ec2::254) on TCP port 80: a stateless responder.

Holds no connection state: the server's initial sequence number is a hash of the 4-tuple,
so every reply follows from the segment that prompts it.

- SYN → SYN-ACK (MSS option 1400).
- A segment carrying an HTTP/1.x request head → the whole response (see `imds_http`) in
  segments of at most 1400 payload bytes, the last with FIN; they acknowledge the request.
  A request whose ACK does not match our ISN belongs to no connection of ours → RST.
- FIN → ACK; before any response (nothing sent yet) → FIN-ACK, closing our side too.
- RST, pure ACKs and anything else → nothing.
Input: (program, eni_id, frame, now_unix_s); output: the reply frames in order.
"""

from __future__ import annotations

import hashlib

from smartnic.compiler.program import Program
from smartnic.dataplane.services.exchange import Request, read_request, segment_reply
from smartnic.dataplane.services.imds_http import respond
from smartnic.packet.l4 import PROTO_TCP
from smartnic.packet.tcp import ACK, FIN, PSH, RST, SYN, Tcp

IMDS_PORT = 80
SEGMENT_PAYLOAD_BYTES = 1400
_MSS_OPTION = bytes([2, 4]) + SEGMENT_PAYLOAD_BYTES.to_bytes(2, "big")
_SEQ_MASK = 0xFFFFFFFF


def answer_imds(program: Program, eni_id: str, frame: bytes, now_unix_s: float) -> list[bytes]:
    request = read_request(program, eni_id, frame, PROTO_TCP, IMDS_PORT)
    if request is None or request.pkt.l4_offset is None:
        return []
    tcp, _ = Tcp.unpack(frame, request.pkt.l4_offset)
    if tcp.flags & RST:
        return []
    isn = initial_sequence(request)
    if tcp.flags & SYN:
        if tcp.flags & ACK:  # a SYN-ACK to a server: no connection of ours
            return []
        return [_segment(request, isn, tcp.seq + 1, SYN | ACK, _MSS_OPTION)]
    if tcp.flags & ACK:
        return _established(program, request, tcp, isn, now_unix_s)
    return []


def _established(
    program: Program, request: Request, tcp: Tcp, isn: int, now_unix_s: float
) -> list[bytes]:
    """A segment past the handshake: our seq is its ACK, as we keep no state."""
    first_seq = (isn + 1) & _SEQ_MASK
    ack = tcp.seq + len(request.payload) + (1 if tcp.flags & FIN else 0)
    if request.payload:
        if tcp.ack != first_seq:
            return [_segment(request, tcp.ack, 0, RST)]
        response = respond(program, request.eni, request.payload, now_unix_s)
        return _response_segments(request, tcp.ack, ack, response)
    if tcp.flags & FIN:
        nothing_sent = tcp.ack == first_seq
        return [_segment(request, tcp.ack, ack, (FIN | ACK) if nothing_sent else ACK)]
    return []


def initial_sequence(request: Request) -> int:
    """Our ISN for this connection, a hash of its 4-tuple (so replies need no state)."""
    pkt = request.pkt
    key = f"{pkt.ip_version}/{pkt.src_ip}/{pkt.sport}/{pkt.dst_ip}/{pkt.dport}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big")


def _response_segments(request: Request, seq: int, ack: int, response: bytes) -> list[bytes]:
    chunks = [
        response[start : start + SEGMENT_PAYLOAD_BYTES]
        for start in range(0, len(response), SEGMENT_PAYLOAD_BYTES)
    ]
    frames = []
    for index, chunk in enumerate(chunks):
        flags = ACK | PSH | (FIN if index == len(chunks) - 1 else 0)
        frames.append(_segment(request, seq, ack, flags, payload=chunk))
        seq += len(chunk)
    return frames


def _segment(
    request: Request, seq: int, ack: int, flags: int, options: bytes = b"", payload: bytes = b""
) -> bytes:
    header = Tcp(
        IMDS_PORT, request.pkt.sport, seq & _SEQ_MASK, ack & _SEQ_MASK, flags, options=options
    )
    return segment_reply(request, header.pack() + payload)
