"""What the slow path says about a packet: hops (the explanation) and the final outcome.

Drop stages are the scenario vocabulary (`src_sg_egress`, `no_route`, …) plus `parse` and
`decap` for malformed or forged input, which no policy stage ever sees, and `l2` for layer-2
spoofing by a VM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

DROP_STAGES = (
    "src_dst_check", "src_sg_egress", "no_route", "route_blackhole", "src_nacl_egress",
    "no_transit", "dst_nacl_ingress", "dst_sg_ingress", "conntrack_full", "no_destination",
    "mtu_exceeded", "allowance_exceeded", "mirror_target_sg_ingress", "parse", "decap", "l2",
)

PASS = "pass"
DROP = "drop"
SKIP = "skip"
DELIVER = "deliver"
FORWARD = "forward"
ANSWER = "answer"


@dataclass(frozen=True, slots=True)
class Hop:
    host: str
    stage: str  # pipeline stage name, e.g. "src_sg_egress", "route", "encap"
    verdict: str
    detail: str
    rule: str | None = None
    facts: tuple[tuple[str, str], ...] = ()  # machine-readable findings, e.g. route target

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["facts"] = dict(self.facts)
        return data

    def fact(self, name: str) -> str | None:
        return next((value for key, value in self.facts if key == name), None)


@dataclass(frozen=True, slots=True)
class Drop:
    stage: str  # one of DROP_STAGES
    reason: str
    eni_id: str | None = None
