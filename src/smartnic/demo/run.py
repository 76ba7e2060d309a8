"""`smartnic demo`: the sample cloud, a traffic mix, and what the engines made of it.

Prints a table (flow, outcome, deciding stage and rule, whether the reply came back),
drops per stage, and flow-log lines; writes the underlay pcap and the flow-log files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartnic.clock import VirtualClock
from smartnic.dataplane.verdict import Hop
from smartnic.demo.sample import SAMPLE_CONFIG
from smartnic.demo.traffic import ATTEMPTS
from smartnic.model import load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import build_arp
from smartnic.scenarios.sends import build_send
from smartnic.telemetry.flowlogs import FlowLogRecord

DECIDING_STAGES = ("dst_sg_ingress", "reserved_service", "gateway")


@dataclass(frozen=True)
class Attempt:
    description: str
    flow: str
    outcome: str
    stage: str
    rule: str
    reply: bool


@dataclass
class DemoReport:
    attempts: list[Attempt]
    arp_answers: int
    drops_by_stage: dict[str, int]
    flow_log_records: list[FlowLogRecord]
    pcap_path: Path
    pcap_frames: int
    flow_log_files: list[Path]


def run_demo(out_dir: Path) -> DemoReport:
    clock = VirtualClock()
    cloud = Cloud(load_config(SAMPLE_CONFIG), clock, responsive=True,
                  pcap_path=out_dir / "underlay.pcap", flowlog_dir=out_dir / "flowlogs")
    arp_answers = _resolve_gateways(cloud)
    attempts = []
    for description, spec in ATTEMPTS:
        clock.advance(0.25)
        cloud.tick()
        attempts.append(_attempt(cloud, description, spec))
    clock.advance(120)
    cloud.tick()
    records = cloud.flow_log_records(include_open=False)
    files = cloud.delivered_files
    frames = cloud.pcap.frames if cloud.pcap else 0
    cloud.close()
    return DemoReport(attempts, arp_answers, _drops_by_stage(cloud), records,
                      out_dir / "underlay.pcap", frames, files)


def _resolve_gateways(cloud: Cloud) -> int:
    """Every VM ARPs for its subnet router; the engine answers (never floods)."""
    answered = 0
    for eni in cloud.program.enis.values():
        router = cloud.program.subnet_of(eni).router_ip(4)
        request = build_arp(op=1, sender_mac=eni.mac, sender_ip=eni.primary_ipv4,
                            target_mac=bytes(6), target_ip=router, eth_dst=b"\xff" * 6)
        cloud.send_from_vm(eni.id, request)
        answered += (4, router) in cloud.vms[eni.id].neighbors
    return answered


def _attempt(cloud: Cloud, description: str, spec: dict) -> Attempt:  # type: ignore[type-arg]
    send = build_send(cloud.program, spec)
    journey = cloud.send(send.origin, send.frames)
    first_outcome = next((e for e in journey.events if e.drop or e.delivered_to), None)
    hops = [h for e in journey.events if e.seq <= (first_outcome.seq if first_outcome else -1)
            for h in e.hops]
    deciding = _deciding_hop(hops)
    if first_outcome is not None and first_outcome.drop is None:
        outcome = f"delivered to {first_outcome.delivered_to}"
    else:
        outcome = f"dropped ({first_outcome.drop.reason})" if first_outcome and (
            first_outcome.drop) else "lost"
    flow = f"{spec['from']} → {spec['dst']} {spec['proto']}" + (
        f"/{spec['dport']}" if "dport" in spec else "")
    return Attempt(description, flow, outcome, deciding.stage if deciding else "-",
                   (deciding.rule or deciding.detail) if deciding else "-",
                   bool(journey.frames_to(send.origin)))


def _deciding_hop(hops: list[Hop]) -> Hop | None:
    dropped = next((h for h in hops if h.verdict == "drop"), None)
    if dropped is not None:
        return dropped
    for stage in DECIDING_STAGES:
        found = [h for h in hops if h.stage == stage]
        if found:
            return found[-1]
    return hops[-1] if hops else None


def _drops_by_stage(cloud: Cloud) -> dict[str, int]:
    snapshots = [e.ctx.counters.snapshot() for e in cloud.hosts.values()]
    snapshots.append(cloud.edge.counters.snapshot())
    totals: dict[str, int] = {}
    for snapshot in snapshots:
        for counters in snapshot.values():
            for name, value in counters.items():
                if name.startswith("drop."):
                    stage = name.split(".")[1]
                    totals[stage] = totals.get(stage, 0) + value
    return dict(sorted(totals.items()))
