"""Flow actions: what the slow path decided for a flow, replayable packet by packet.

An action is a list of effects (rate gates, conntrack touches, flow-log and counter
updates) followed by one output. The slow path builds it while walking the stages; the
engine applies it to the first packet and, when cacheable, to later packets of the flow
without walking the stages again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smartnic.dataplane.conntrack.table import CtEntry
from smartnic.dataplane.verdict import Drop, Hop


@dataclass(frozen=True, slots=True)
class RateGate:
    """Drop the packet when the ENI is over an allowance (ALW-R1)."""

    eni_id: str
    kind: str  # "pps" | "linklocal"
    limit_packets: int


@dataclass(frozen=True, slots=True)
class CtTouch:
    entry: CtEntry
    is_reply: bool


@dataclass(frozen=True, slots=True)
class LogPacket:
    """One flow-log observation per packet; the flow's addresses are fixed per action."""

    eni_id: str
    direction: Literal["ingress", "egress"]  # ENI-relative
    action: Literal["ACCEPT", "REJECT"]
    traffic_path: int | None
    ip_version: int
    pkt_src: str
    pkt_dst: str
    sport: int
    dport: int
    protocol: int


Effect = RateGate | CtTouch | LogPacket


@dataclass(frozen=True, slots=True)
class ToVm:
    eni_id: str
    eth_src: bytes
    eth_dst: bytes


@dataclass(frozen=True, slots=True)
class ToUnderlay:
    host_id: str
    underlay_ip: int
    vni: int
    sender_tag: int | None  # None: plain RFC 7348 VXLAN for a kernel VXLAN peer
    eth_src: bytes  # inner frame MACs after the router rewrite (ENI-R5)
    eth_dst: bytes
    udp_src_port: int  # entropy from the inner flow (RFC 7348 §5)


@dataclass(frozen=True, slots=True)
class ToService:
    service: str  # amazon-dns | imds | time-sync | dhcp
    eni_id: str


@dataclass(frozen=True, slots=True)
class ToExternal:
    """Leaves the cloud at the edge: the internet or a VPN gateway (`gateway:<id>`)."""

    port: str
    nat_src: int | None = None  # 1:1 NAT of the IGW (private -> public)


Output = ToVm | ToUnderlay | ToService | ToExternal


@dataclass(frozen=True, slots=True)
class FlowAction:
    generation: int
    effects: tuple[Effect, ...]
    output: Output | None
    drop: Drop | None
    path_mtu_bytes: int
    cacheable: bool
    hops: tuple[Hop, ...]
    sender_on_host: str | None = None  # ENI to answer with ICMP errors (PMTU), if local

    def conntrack_entries(self) -> list[CtEntry]:
        return [e.entry for e in self.effects if isinstance(e, CtTouch)]
