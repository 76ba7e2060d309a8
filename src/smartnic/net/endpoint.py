"""A simulated instance behind an ENI, for the in-process cloud.

It keeps what it received and, when responsive, answers like a small Linux host: ICMP
echo, a TCP handshake (SYN-ACK) on listening ports or RST on closed ones, and UDP echo.
ARP answers from the VPC router fill its neighbour cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartnic.compiler.views import EniView
from smartnic.packet import (
    MalformedPacket,
    Packet,
    build_frame,
    build_icmp_echo_reply,
    build_icmpv6_echo_reply,
    parse_frame,
)
from smartnic.ports.memory import MemoryPort

SYN, ACK, RST, FIN = 0x02, 0x10, 0x04, 0x01
ECHO_REQUEST = {4: 8, 6: 128}
DEFAULT_LISTEN_TCP = frozenset({22, 80, 443, 3389, 5432, 8080})


@dataclass
class VmEndpoint:
    eni: EniView
    port: MemoryPort
    responsive: bool = True
    listen_tcp: frozenset[int] = DEFAULT_LISTEN_TCP
    received: list[bytes] = field(default_factory=list)
    neighbors: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def send(self, frame: bytes) -> None:
        self.port.inject(frame)

    def take_delivered(self) -> list[bytes]:
        """Frames the engine handed to this VM since the last call; replies are queued."""
        frames = self.port.drain()
        for frame in frames:
            self.received.append(frame)
            reply = self._react(frame)
            if reply is not None:
                self.port.inject(reply)
        return frames

    def _react(self, frame: bytes) -> bytes | None:
        try:
            pkt = parse_frame(frame)
        except MalformedPacket:
            return None
        if pkt.arp is not None:
            self.neighbors[(4, pkt.arp.sender_ip)] = pkt.arp.sender_mac
            return None
        if pkt.nd_target is not None and pkt.nd_link_addr is not None:
            self.neighbors[(6, pkt.nd_target)] = pkt.nd_link_addr
            return None
        if not self.responsive or pkt.ip_version == 0 or pkt.is_fragment:
            return None
        return self._answer(frame, pkt)

    def _answer(self, frame: bytes, pkt: Packet) -> bytes | None:
        if pkt.proto in (1, 58) and pkt.icmp_type == ECHO_REQUEST[pkt.ip_version]:
            reply = build_icmp_echo_reply if pkt.ip_version == 4 else build_icmpv6_echo_reply
            return reply(frame)
        if pkt.proto == 6 and not pkt.tcp_flags & RST:
            return self._tcp_answer(pkt)
        if pkt.proto == 17:
            payload = frame[pkt.payload_offset:] if pkt.payload_offset else b""
            return self._reply(pkt, sport=pkt.dport, dport=pkt.sport, payload=payload)
        return None

    def _tcp_answer(self, pkt: Packet) -> bytes | None:
        if pkt.tcp_flags & SYN and not pkt.tcp_flags & ACK:
            flags = SYN | ACK if pkt.dport in self.listen_tcp else RST | ACK
            return self._reply(pkt, sport=pkt.dport, dport=pkt.sport, tcp_flags=flags,
                               seq=1000, ack=1)
        if pkt.tcp_flags & FIN:
            return self._reply(pkt, sport=pkt.dport, dport=pkt.sport, tcp_flags=FIN | ACK,
                               seq=1001, ack=2)
        return None

    def _reply(self, pkt: Packet, **fields: object) -> bytes:
        return build_frame(eth_src=self.eni.mac, eth_dst=pkt.eth_src, ip_version=pkt.ip_version,
                           src_ip=pkt.dst_ip, dst_ip=pkt.src_ip, proto=pkt.proto,
                           **fields)  # type: ignore[arg-type]
