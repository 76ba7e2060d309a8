"""Engines as the loop sees them, for loop tests: `QuietEngine` hands over no frames, closes
no flow-log windows and answers every control request; tests override what they drive."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smartnic.telemetry.flowlogs import FlowLogRecord


class QuietEngine:
    def poll(self) -> int:
        return 0

    def tick(self) -> Iterable[FlowLogRecord]:
        return []

    def finish(self) -> Iterable[FlowLogRecord]:
        return []

    def report(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"host": "host-1", "op": request.get("op"), "answered": True}
