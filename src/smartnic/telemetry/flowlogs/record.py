"""Flow-log records: the value of every FL-R5 field, and the line in the log's field order.

Inputs: a flow log's id and fields, the ENI's `EniLogContext`, and either a closed
aggregate (`FlowKey` + `FlowCounters`, log-status OK) or the bounds of a NODATA/SKIPDATA
span (FL-R7).
Outputs: a frozen `FlowLogRecord`.

Address rule (FL-R9): the ENI side of srcaddr/dstaddr (ingress: dstaddr, egress: srcaddr)
shows the ENI's primary private IPv4 whenever the packet's IPv4 address there is anything
else (a secondary address, or none of the ENI's); IPv6 addresses are shown as they are.
pkt-srcaddr/pkt-dstaddr always carry the real packet addresses.

Example (FL-R4, default format):
    2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249
    1418530010 1418530070 ACCEPT OK
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smartnic.telemetry.flowlogs.aggregate import FlowCounters, FlowKey
from smartnic.telemetry.flowlogs.fields import ALL_FIELDS, format_version
from smartnic.telemetry.flowlogs.observation import EniLogContext

DASH = "-"


@dataclass(frozen=True, slots=True)
class FlowLogRecord:
    """One flow-log record, final or (from `records(include_open=True)`) provisional."""

    flow_log_id: str
    eni_id: str
    direction: str  # ENI-relative; "-" on NODATA/SKIPDATA records, which have no direction
    action: str | None  # None for NODATA/SKIPDATA
    log_status: str  # OK | NODATA | SKIPDATA
    values: Mapping[str, str]  # field name -> rendered value, for every field of FL-R5
    version: int  # highest version among the flow log's fields (FL-R5)
    line: str  # the record rendered in the flow log's field order, space separated
    fields: tuple[str, ...] = ()  # the flow log's field order (delivery writes it as header)


def _eni_values(ctx: EniLogContext, version: int) -> dict[str, str]:
    """Values that describe the ENI, shared by every kind of record."""
    return {
        "version": str(version),
        "account-id": ctx.account_id,
        "interface-id": ctx.eni_id,
        "vpc-id": ctx.vpc_id,
        "subnet-id": ctx.subnet_id,
        "instance-id": ctx.instance_id or DASH,  # FL-R9: requester-managed ENIs show "-"
        "region": ctx.region or DASH,
        "az-id": ctx.az_id or DASH,
        "sublocation-type": DASH,
        "sublocation-id": DASH,
    }


def logged_addresses(key: FlowKey, ctx: EniLogContext, ip_version: int) -> tuple[str, str]:
    """FL-R9: (srcaddr, dstaddr) with the ENI side replaced by the primary IPv4 if needed."""
    src, dst = key.pkt_src, key.pkt_dst
    if ip_version == 4:
        if key.direction == "ingress" and dst != ctx.primary_ipv4:
            dst = ctx.primary_ipv4
        elif key.direction == "egress" and src != ctx.primary_ipv4:
            src = ctx.primary_ipv4
    return src, dst


def _flow_values(key: FlowKey, counters: FlowCounters, ctx: EniLogContext) -> dict[str, str]:
    """Values that come from the packets of one aggregated flow."""
    srcaddr, dstaddr = logged_addresses(key, ctx, counters.ip_version)
    path = key.traffic_path
    return {
        "srcaddr": srcaddr,
        "dstaddr": dstaddr,
        "srcport": str(key.sport),
        "dstport": str(key.dport),
        "protocol": str(key.protocol),
        "packets": str(counters.packets),
        "bytes": str(counters.length_bytes),
        "start": str(int(counters.first_s)),  # FL-R3: Unix seconds of first/last packet
        "end": str(int(counters.last_s)),
        "action": key.action,
        "log-status": "OK",
        "tcp-flags": str(counters.tcp_flags),
        "type": "IPv6" if counters.ip_version == 6 else "IPv4",
        "pkt-srcaddr": key.pkt_src,
        "pkt-dstaddr": key.pkt_dst,
        "flow-direction": key.direction,
        # FL-R11: traffic-path exists only for egress records.
        "traffic-path": str(path) if key.direction == "egress" and path is not None else DASH,
        "encryption-status": "0",  # no VPC Encryption Controls: not encrypted
    }


def _finish(
    flow_log_id: str, fields: tuple[str, ...], values: dict[str, str],
    direction: str, action: str | None,
) -> FlowLogRecord:
    """Fill every other FL-R5 field with "-" and render the line in `fields` order."""
    complete = {name: values.get(name, DASH) for name in ALL_FIELDS}
    return FlowLogRecord(
        flow_log_id=flow_log_id,
        eni_id=complete["interface-id"],
        direction=direction,
        action=action,
        log_status=complete["log-status"],
        values=complete,
        version=int(complete["version"]),
        line=" ".join(complete[name] for name in fields),
        fields=fields,
    )


def flow_record(
    flow_log_id: str, fields: tuple[str, ...], ctx: EniLogContext,
    key: FlowKey, counters: FlowCounters,
) -> FlowLogRecord:
    """An OK record for one aggregated flow (FL-R2)."""
    values = _eni_values(ctx, format_version(fields))
    values.update(_flow_values(key, counters, ctx))
    return _finish(flow_log_id, fields, values, key.direction, key.action)


def status_record(
    flow_log_id: str, fields: tuple[str, ...], ctx: EniLogContext,
    log_status: str, start_s: float, end_s: float,
) -> FlowLogRecord:
    """A NODATA or SKIPDATA record (FL-R7).

    It keeps the fields describing the ENI (version, account, interface, VPC, subnet,
    instance, region, AZ) and the span's bounds; flow fields and action are "-".
    """
    values = _eni_values(ctx, format_version(fields))
    values.update(start=str(int(start_s)), end=str(int(end_s)), **{"log-status": log_status})
    return _finish(flow_log_id, fields, values, DASH, None)
