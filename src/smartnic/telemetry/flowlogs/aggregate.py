"""Per-window flow aggregation: the record key (FL-R2) and the counters behind one record.

Inputs: `FlowObservation`s and the aggregation interval of a flow log.
Outputs: `FlowKey` tuples and `FlowCounters` holding packets, bytes, OR-ed tcp-flags
(FL-R8) and first/last packet times (FL-R3).

A key identifies one record: ENI, window index, direction, action and the real packet
5-tuple (plus traffic-path on egress, so every logged value of a record is well defined). Keying on
the real addresses rather than the logged srcaddr/dstaddr keeps pkt-srcaddr/pkt-dstaddr
exact when several packet addresses collapse to the ENI's primary address (FL-R9).

Example:
    >>> reduce_tcp_flags(0x12), reduce_tcp_flags(0x10), reduce_tcp_flags(0x11)
    (18, 0, 1)
"""

from __future__ import annotations

from typing import NamedTuple

from smartnic.telemetry.flowlogs.observation import FlowObservation

_FIN, _SYN, _RST, _ACK = 0x01, 0x02, 0x04, 0x10
_SYN_ACK = _SYN | _ACK  # 18: the only combination FL-R8 reports with ACK in it


def reduce_tcp_flags(raw: int) -> int:
    """FL-R8: keep FIN, SYN, RST; report ACK only as part of SYN-ACK (18)."""
    kept = raw & (_FIN | _SYN | _RST)
    if raw & _SYN_ACK == _SYN_ACK:
        kept |= _SYN_ACK
    return kept


# The reduction for every flag byte, so the hot path does one tuple index.
_REDUCED_FLAGS: tuple[int, ...] = tuple(reduce_tcp_flags(raw) for raw in range(256))


class FlowKey(NamedTuple):
    """Identity of one record within a flow log (FL-R2)."""

    eni_id: str
    window: int  # index k of the window [k*I, (k+1)*I)
    direction: str
    action: str
    pkt_src: str
    pkt_dst: str
    sport: int
    dport: int
    protocol: int
    traffic_path: int | None


class FlowCounters:
    """Mutable totals of one record while its window is open."""

    __slots__ = ("packets", "length_bytes", "tcp_flags", "first_s", "last_s", "ip_version")

    def __init__(self, obs: FlowObservation, time_s: float) -> None:
        self.packets = obs.packets
        self.length_bytes = obs.length_bytes
        self.tcp_flags = _REDUCED_FLAGS[obs.tcp_flags & 0xFF]
        self.first_s = time_s
        self.last_s = time_s
        self.ip_version = obs.ip_version

    def add(self, obs: FlowObservation, time_s: float) -> None:
        """Fold one more observation of the same key into the totals."""
        self.packets += obs.packets
        self.length_bytes += obs.length_bytes
        self.tcp_flags |= _REDUCED_FLAGS[obs.tcp_flags & 0xFF]
        # Packets may be reported slightly out of order within a window.
        if time_s < self.first_s:
            self.first_s = time_s
        elif time_s > self.last_s:
            self.last_s = time_s

