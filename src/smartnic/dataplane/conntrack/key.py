"""Which connection a packet belongs to, as seen by one ENI (SG-R19).

A key is (ip_version, proto, a_ip, a_port, b_ip, b_port) in the originator's orientation.
TCP/UDP: the 5-tuple. ICMP/ICMPv6 queries: the query identifier stands in for ports — the
exact key AWS uses is undocumented ([U]); we use (src, dst, proto, id) plus the request
type so that echo and timestamp exchanges stay apart. ICMP errors and other non-query ICMP
messages are never tracked (SG-R26). Other protocols: the IP pair and protocol only.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.dataplane.conntrack import states as st

CtKey = tuple[int, int, int, int, int, int]

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_ICMPV6 = 58

# request type -> reply type, per ICMP version
ICMP_QUERY_PAIRS = {PROTO_ICMP: {8: 0, 13: 14, 15: 16, 17: 18}, PROTO_ICMPV6: {128: 129}}
ICMP_REPLY_TO_REQUEST = {
    proto: {reply: request for request, reply in pairs.items()}
    for proto, pairs in ICMP_QUERY_PAIRS.items()
}


@dataclass(frozen=True, slots=True)
class FlowTuple:
    """How to find a packet's connection: the key if it starts one, the key if it answers one."""

    proto_class: int
    forward: CtKey | None  # the packet as an originator
    reverse: CtKey | None  # the connection the packet would answer


def flow_tuple(
    ip_version: int, proto: int, src: int, dst: int, sport: int, dport: int,
    icmp_type: int = 0, icmp_id: int = 0,
) -> FlowTuple | None:
    """The connection identity of a packet, or None when the packet is never tracked."""
    if proto in (PROTO_TCP, PROTO_UDP):
        cls = st.CLASS_TCP if proto == PROTO_TCP else st.CLASS_UDP
        return FlowTuple(
            cls,
            (ip_version, proto, src, sport, dst, dport),
            (ip_version, proto, dst, dport, src, sport),
        )
    if proto in ICMP_QUERY_PAIRS:
        return _icmp_tuple(ip_version, proto, src, dst, icmp_type, icmp_id)
    return FlowTuple(
        st.CLASS_OTHER, (ip_version, proto, src, 0, dst, 0), (ip_version, proto, dst, 0, src, 0)
    )


def _icmp_tuple(
    ip_version: int, proto: int, src: int, dst: int, icmp_type: int, icmp_id: int
) -> FlowTuple | None:
    if icmp_type in ICMP_QUERY_PAIRS[proto]:
        return FlowTuple(st.CLASS_ICMP, (ip_version, proto, src, icmp_id, dst, icmp_type), None)
    request = ICMP_REPLY_TO_REQUEST[proto].get(icmp_type)
    if request is None:
        return None
    return FlowTuple(st.CLASS_ICMP, None, (ip_version, proto, dst, icmp_id, src, request))
