"""VPC Flow Logs (spec section 6, FL-R1..FL-R13): aggregate what ENIs see into AWS records.

Inputs: `FlowObservation`s from the data plane, `EniLogContext`s, `FlowLogSpec`s.
Outputs: `FlowLogRecord`s from `FlowLogCollector`, written out by `deliver`/`to_text`.

Example:
    collector = FlowLogCollector(specs, enis, start_time_s=clock.now())
    collector.observe(observation)           # per packet, after its verdict
    deliver(collector.advance(clock.now()), Path("out"), "123456789010", "us-east-1")
"""

from smartnic.telemetry.flowlogs.collector import FlowLogCollector
from smartnic.telemetry.flowlogs.delivery import deliver, to_text
from smartnic.telemetry.flowlogs.fields import (
    ALL_FIELDS,
    DEFAULT_FIELDS,
    FIELD_VERSIONS,
    format_version,
    parse_log_format,
)
from smartnic.telemetry.flowlogs.observation import EniLogContext, FlowLogSpec, FlowObservation
from smartnic.telemetry.flowlogs.record import FlowLogRecord

__all__ = [
    "ALL_FIELDS",
    "DEFAULT_FIELDS",
    "FIELD_VERSIONS",
    "EniLogContext",
    "FlowLogCollector",
    "FlowLogRecord",
    "FlowLogSpec",
    "FlowObservation",
    "deliver",
    "format_version",
    "parse_log_format",
    "to_text",
]
