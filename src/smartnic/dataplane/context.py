"""The state one engine carries and the per-packet walk of the slow path.

EngineContext: the Program, connection tracking, clock, counters, flow logs and allowances
of one engine (one host, or the edge). Walk: one packet's progress through the stages —
the hops explaining it, the effects to replay, and the output or drop it ends with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from smartnic.clock import Clock
from smartnic.compiler.cidr import format_ip
from smartnic.compiler.program import Program
from smartnic.compiler.routes import RouteEntry
from smartnic.compiler.views import EniView, VpcView
from smartnic.dataplane.actions import Effect, FlowAction, LogPacket, Output
from smartnic.dataplane.allowance import Allowances
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.verdict import DROP, PASS, SKIP, Drop, Hop
from smartnic.packet.parse import Packet
from smartnic.telemetry.counters import Counters
from smartnic.telemetry.flowlogs import FlowLogCollector

# Flow-log action of the sender's egress record by drop stage (FL-R13, ORD-R1).
_EGRESS_LOG_ON_DROP: dict[str, Literal["ACCEPT", "REJECT"]] = {
    "src_sg_egress": "REJECT",
    "src_nacl_egress": "REJECT",
    "no_route": "ACCEPT",
    "route_blackhole": "ACCEPT",
    "no_transit": "ACCEPT",
    "no_destination": "ACCEPT",
}
_INGRESS_LOG_ON_DROP: dict[str, Literal["ACCEPT", "REJECT"]] = {
    "dst_nacl_ingress": "REJECT", "dst_sg_ingress": "REJECT",
}


@dataclass
class EngineContext:
    name: str  # host id, or "edge"
    program: Program
    clock: Clock
    conntrack: ConntrackTable
    counters: Counters
    flowlogs: FlowLogCollector
    allowances: Allowances
    underlay_ip: int


@dataclass(slots=True)
class Walk:
    pkt: Packet
    host: str
    now_s: float
    generation: int
    src_eni: EniView | None = None  # the ENI that sent the packet, when one did
    sender_tag: int | None = None  # identity from the overlay (None: sent on this host)
    vpc: VpcView | None = None  # the VPC the packet travels in
    from_gateway: str | None = None  # igw/vgw the packet entered through
    dst_eni: EniView | None = None
    gateway: str | None = None  # igw/vgw the packet leaves through
    route: RouteEntry | None = None
    traffic_path: int | None = None
    path_mtu_bytes: int = 9001
    hops: list[Hop] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    output: Output | None = None
    drop: Drop | None = None
    cacheable: bool = True
    egress_logged: bool = False
    sg_egress_passed: bool = False  # a security verdict exists to log (FL-R13, ORD-R1)

    def passed(self, stage: str, detail: str, rule: str | None = None,
               facts: tuple[tuple[str, str], ...] = ()) -> bool:
        self.hops.append(Hop(self.host, stage, PASS, detail, rule, facts))
        return True

    def skipped(self, stage: str, detail: str) -> bool:
        self.hops.append(Hop(self.host, stage, SKIP, detail))
        return True

    def note(self, stage: str, verdict: str, detail: str, rule: str | None = None) -> None:
        self.hops.append(Hop(self.host, stage, verdict, detail, rule))

    def dropped(
        self, stage: str, drop_stage: str, reason: str, detail: str,
        rule: str | None = None, eni: EniView | None = None,
        facts: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        """Record a drop; returns False so stages can `return walk.dropped(...)`."""
        self.hops.append(Hop(self.host, stage, DROP, detail, rule,
                             (("drop_stage", drop_stage), ("reason", reason), *facts)))
        concerned = eni or self.src_eni or self.dst_eni
        self.drop = Drop(drop_stage, reason, concerned.id if concerned else None)
        self.cacheable = False
        if drop_stage in _EGRESS_LOG_ON_DROP and self.sender_tag is None and (
                self.sg_egress_passed or drop_stage == "src_sg_egress"):
            self.log_egress(_EGRESS_LOG_ON_DROP[drop_stage])
        if drop_stage in _INGRESS_LOG_ON_DROP and self.dst_eni is not None:
            self.log(self.dst_eni.id, "ingress", _INGRESS_LOG_ON_DROP[drop_stage])
        return False

    def log_egress(self, action: Literal["ACCEPT", "REJECT"]) -> None:
        """The sender's egress record, once per packet (FL-R13)."""
        if self.src_eni is not None and not self.egress_logged:
            self.log(self.src_eni.id, "egress", action, self.traffic_path)
            self.egress_logged = True

    def log(self, eni_id: str, direction: Literal["ingress", "egress"],
            action: Literal["ACCEPT", "REJECT"], traffic_path: int | None = None) -> None:
        pkt = self.pkt
        self.effects.append(LogPacket(
            eni_id, direction, action, traffic_path, pkt.ip_version,
            format_ip(pkt.ip_version, pkt.src_ip), format_ip(pkt.ip_version, pkt.dst_ip),
            pkt.sport, pkt.dport, pkt.proto,
        ))

    def action(self) -> FlowAction:
        return FlowAction(
            generation=self.generation,
            effects=tuple(self.effects),
            output=self.output,
            drop=self.drop,
            path_mtu_bytes=self.path_mtu_bytes,
            cacheable=self.cacheable and self.drop is None,
            hops=tuple(self.hops),
            sender_on_host=(
                self.src_eni.id if self.src_eni is not None and self.sender_tag is None else None
            ),
        )
