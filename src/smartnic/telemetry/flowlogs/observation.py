"""What the data plane hands to flow logs: packets seen, ENI facts, flow-log configuration.

Inputs: built by the engine — one `FlowObservation` per packet an ENI sent or received
(after its verdict), one `EniLogContext` per ENI, one `FlowLogSpec` per flow log whose
vpc/subnet/eni scope has already been resolved to ENI ids (FL-R1).
Outputs: plain frozen values consumed by `FlowLogCollector`.

Example:
    >>> FlowObservation("eni-c", "ingress", "ACCEPT", 4, "10.0.1.10", "10.0.2.30",
    ...                 40000, 22, 6, 60, 0x02, None, 1418530010.0)  # doctest: +ELLIPSIS
    FlowObservation(eni_id='eni-c', direction='ingress', ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smartnic.telemetry.flowlogs.fields import check_fields

Direction = Literal["ingress", "egress"]
Action = Literal["ACCEPT", "REJECT"]
TrafficType = Literal["ALL", "ACCEPT", "REJECT"]

# FL-R3: MaxAggregationInterval accepts only these values.
AGGREGATION_INTERVALS_S: frozenset[int] = frozenset((60, 600))


@dataclass(frozen=True, slots=True)
class FlowObservation:
    """One packet seen by one ENI, as the data plane reports it to flow logs."""

    eni_id: str
    direction: Direction  # ENI-relative
    action: Action
    ip_version: int  # 4 or 6
    pkt_src: str  # real packet addresses (pkt-srcaddr / pkt-dstaddr)
    pkt_dst: str
    sport: int  # 0 for ICMP/other protocols (FL-R12)
    dport: int
    protocol: int
    length_bytes: int  # IP total length (summed over all `packets` when packets > 1)
    tcp_flags: int  # raw TCP flag byte (0 if not TCP)
    traffic_path: int | None  # FL-R11; only meaningful for egress, else None
    time_s: float  # Unix seconds (the engine's clock)
    packets: int = 1


@dataclass(frozen=True, slots=True)
class EniLogContext:
    """What a record needs to know about the ENI besides the packet."""

    eni_id: str
    account_id: str
    vpc_id: str
    subnet_id: str
    instance_id: str | None
    primary_ipv4: str
    addresses: frozenset[str]  # all private IPv4 + IPv6 of the ENI, as text
    region: str | None = None
    az_id: str | None = None


@dataclass(frozen=True, slots=True)
class FlowLogSpec:
    """One flow log: its id, the ENIs it covers, traffic filter, format and interval."""

    id: str
    eni_ids: frozenset[str]  # ENIs covered (resolved from vpc/subnet/eni scope, FL-R1)
    traffic: TrafficType
    fields: tuple[str, ...]  # the default format expands to the FL-R4 list
    interval_s: int  # 60 or 600

    def __post_init__(self) -> None:
        owner = f"flow log {self.id}"
        check_fields(self.fields, owner)
        if self.traffic not in ("ALL", "ACCEPT", "REJECT"):
            raise ValueError(f"{owner}: traffic {self.traffic!r} is not ALL/ACCEPT/REJECT (FL-R1)")
        if self.interval_s not in AGGREGATION_INTERVALS_S:
            raise ValueError(f"{owner}: interval_s {self.interval_s} is not 60 or 600 (FL-R3)")
