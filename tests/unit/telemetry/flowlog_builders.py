"""Builders for flow-log tests: ENI contexts, flow-log specs and observations with defaults.

The defaults follow topology T1 of the scenario file: eni-a 10.0.1.10 in subnet-1 sends to
eni-c 10.0.2.30 in subnet-2, account 123456789010.
"""

from __future__ import annotations

from collections.abc import Iterable

from smartnic.telemetry.flowlogs import (
    DEFAULT_FIELDS,
    EniLogContext,
    FlowLogCollector,
    FlowLogSpec,
    FlowObservation,
)

ACCOUNT = "123456789010"
PRIMARY = {"eni-a": "10.0.1.10", "eni-b": "10.0.1.20", "eni-c": "10.0.2.30"}


def eni(
    eni_id: str = "eni-c", primary: str | None = None, others: Iterable[str] = (),
    instance_id: str | None = "i-0123456789abcdef0", region: str | None = None,
    az_id: str | None = None,
) -> EniLogContext:
    primary_ipv4 = primary or PRIMARY.get(eni_id, "10.0.9.9")
    subnet = "subnet-2" if primary_ipv4.startswith("10.0.2.") else "subnet-1"
    return EniLogContext(
        eni_id=eni_id, account_id=ACCOUNT, vpc_id="vpc-a", subnet_id=subnet,
        instance_id=instance_id, primary_ipv4=primary_ipv4,
        addresses=frozenset((primary_ipv4, *others)), region=region, az_id=az_id,
    )


def spec(
    log_id: str = "fl-1", enis: Iterable[str] = ("eni-c",), traffic: str = "ALL",
    fields: tuple[str, ...] = DEFAULT_FIELDS, interval_s: int = 60,
) -> FlowLogSpec:
    return FlowLogSpec(log_id, frozenset(enis), traffic, fields, interval_s)  # type: ignore[arg-type]


def obs(
    eni_id: str = "eni-c", direction: str = "ingress", action: str = "ACCEPT",
    src: str = "10.0.1.10", dst: str = "10.0.2.30", sport: int = 40000, dport: int = 22,
    protocol: int = 6, length: int = 60, flags: int = 0, path: int | None = None,
    t: float = 0.0, packets: int = 1,
) -> FlowObservation:
    return FlowObservation(
        eni_id, direction, action, 6 if ":" in src else 4,  # type: ignore[arg-type]
        src, dst, sport, dport, protocol, length, flags, path, t, packets,
    )


def collector(
    *specs: FlowLogSpec, contexts: Iterable[EniLogContext] = (), start_s: float = 0.0,
    max_flows_per_window: int | None = None, keep_final: bool = True,
) -> FlowLogCollector:
    """A collector over `specs` (default: one default-format log on eni-c)."""
    chosen = specs or (spec(),)
    by_id = {ctx.eni_id: ctx for ctx in contexts}
    for flow_log in chosen:
        for eni_id in flow_log.eni_ids:
            by_id.setdefault(eni_id, eni(eni_id))
    return FlowLogCollector(
        chosen, by_id, start_s, max_flows_per_window=max_flows_per_window,
        keep_final=keep_final)
