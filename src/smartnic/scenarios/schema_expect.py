"""The `expect` mapping of a scenario step (schema_version 1), as strict pydantic models.

The fields (examples/scenarios.yaml introduces them): `result`, `to`, `stage`,
`delivered_as`, counts, `flow_logs` / `flow_logs_absent` (fl_match), mirroring
(mirror_match), `counters`, `route_selected`, `reason`. Unknown keys, wrong types and
unknown result values are refused; a `pattern` must be a valid regular expression and a
comparison reads `N`, `==N`, `>=N` or `<=N`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

RESULTS_OF_SEND = ("delivered", "dropped", "partial")
RESULTS_OF_CHANGE = ("applied", "config_error")
SERVICES = ("amazon-dns", "imds", "time-sync", "dhcp")
COMPARISON = re.compile(r"\s*(==|>=|<=)?\s*\d{1,18}\s*")
DESTINATION = re.compile(
    r"eni-[A-Za-z0-9._-]+|internet|gateway:[a-z]+-[A-Za-z0-9._-]+|service:(" + "|".join(SERVICES)
    + ")"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _comparison(value: int | str) -> int | str:
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a count is not negative")
        return value
    if not COMPARISON.fullmatch(value):
        raise ValueError(f"a comparison reads N, ==N, >=N or <=N, not {value!r}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a regular expression: {error}") from None
    return value


def _destination(value: str) -> str:
    if not DESTINATION.fullmatch(value):
        raise ValueError(
            f"`to` is eni-…, internet, gateway:<id> or service:<{'|'.join(SERVICES)}>, "
            f"not {value!r}"
        )
    return value


Comparison = Annotated[int | str, AfterValidator(_comparison)]
Regex = Annotated[str, AfterValidator(_regex)]
Destination = Annotated[str, AfterValidator(_destination)]
Port = Annotated[int, Field(ge=0, le=65535)]


class DeliveredAs(Strict):
    src: str | None = None
    dst: str | None = None
    fragments: Annotated[int, Field(ge=1)] | None = None
    max_fragment_length: Annotated[int, Field(ge=1)] | None = None
    nitro_encrypted: bool | None = None


class FlowLogMatch(Strict):
    """fl_match: omitted fields are wildcards."""

    eni: str | None = None
    direction: Literal["ingress", "egress"] | None = None
    action: Literal["ACCEPT", "REJECT"] | None = None
    srcaddr: str | None = None
    dstaddr: str | None = None
    srcport: Port | None = None
    dstport: Port | None = None
    protocol: Annotated[int, Field(ge=0, le=255)] | None = None
    tcp_flags: Annotated[int, Field(ge=0, le=255)] | None = None
    pkt_srcaddr: str | None = None
    pkt_dstaddr: str | None = None
    traffic_path: Annotated[int, Field(ge=1, le=8)] | Literal["-"] | None = None
    log_status: Literal["OK", "NODATA", "SKIPDATA"] | None = None
    version: Annotated[int, Field(ge=2, le=10)] | None = None
    pattern: Regex | None = None


class InnerPacket(Strict):
    src: str
    dst: str
    proto: int | str
    sport: Port | None = None
    dport: Port | None = None


class MirrorMatch(Strict):
    target_eni: str
    outer_src: str
    outer_dst: str
    udp_dport: Port
    vni: Annotated[int, Field(ge=0, le=0xFFFFFF)]
    inner: InnerPacket
    payload_length: Annotated[int, Field(ge=0)] | None = None
    truncated: bool | None = None
    outer_ip_length: Comparison | None = None


class RouteSelected(Strict):
    target: str


class Expect(Strict):
    result: Literal[
        "delivered", "dropped", "partial", "applied", "config_error", "implementation_defined"
    ]
    to: Destination | None = None
    stage: str | None = None
    delivered_as: DeliveredAs | None = None
    delivered_count: Comparison | None = None
    dropped_count: Comparison | None = None
    flow_logs: list[FlowLogMatch] = []
    flow_logs_absent: list[FlowLogMatch] = []
    mirrored: list[MirrorMatch] = []
    not_mirrored: bool | None = None
    mirror_drop_stage: str | None = None
    counters: dict[str, dict[str, Comparison]] = {}
    route_selected: RouteSelected | None = None
    reason: str | None = None
