"""The VPC's own services, answered on the host: DNS, metadata, time, DHCP (SG-R17).

`ServiceDesk.answer(service, eni_id, frame)` returns the reply frames to send back to the
VM, and counts every request per ENI and service (`service.<name>` counters).
`default_responders()` gives the four responders keyed by the names the `reserved_service`
stage classifies traffic into: amazon-dns, time-sync, imds, dhcp.
"""

from __future__ import annotations

from collections.abc import Callable

from smartnic.compiler.program import Program
from smartnic.dataplane.services.dhcp import answer_dhcp
from smartnic.dataplane.services.dns import answer_dns
from smartnic.dataplane.services.imds import answer_imds
from smartnic.dataplane.services.ntp import answer_ntp
from smartnic.telemetry.counters import Counters

Responder = Callable[[Program, str, bytes, float], list[bytes]]


class ServiceDesk:
    def __init__(self, counters: Counters, clock_now: Callable[[], float]) -> None:
        self.counters = counters
        self.clock_now = clock_now
        self.program: Program | None = None
        self.responders: dict[str, Responder] = {}

    def answer(self, service: str, eni_id: str, frame: bytes) -> list[bytes]:
        self.counters.add(eni_id, f"service.{service}")
        responder = self.responders.get(service)
        if responder is None or self.program is None:
            return []
        return responder(self.program, eni_id, frame, self.clock_now())


def default_responders() -> dict[str, Responder]:
    return {"amazon-dns": answer_dns, "time-sync": answer_ntp, "imds": answer_imds,
            "dhcp": answer_dhcp}  # fmt: skip
