"""One scenario's world: a raw config, the in-process cloud running it, a virtual clock.

Steps (schema: send | patch | api | advance) run against the session and produce a
StepOutcome that `expect.py` compares with the step's `expect` mapping. Patches and API
calls are validated as a whole; a refused change leaves the running config untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smartnic.clock import VirtualClock
from smartnic.model import ConfigError, apply_api, deep_merge, load_config
from smartnic.net.cloud import Cloud
from smartnic.net.journey import Journey
from smartnic.scenarios.sends import build_send


@dataclass
class StepOutcome:
    result: str  # delivered | dropped | partial | applied | config_error
    journeys: list[Journey] = field(default_factory=list)
    error: str | None = None

    @property
    def delivered(self) -> list[Journey]:
        return [j for j in self.journeys if j.result == "delivered"]

    @property
    def dropped(self) -> list[Journey]:
        return [j for j in self.journeys if j.result != "delivered"]


class Session:
    def __init__(self, raw_config: Mapping[str, Any], *, pcap_path: str | None = None) -> None:
        self.raw = dict(raw_config)
        self.clock = VirtualClock()
        self.cloud = Cloud(load_config(self.raw), self.clock, responsive=False,
                           pcap_path=pcap_path)
        self.offset_s = 0.0
        self.steps_run = 0

    def run_step(self, step: Mapping[str, Any]) -> StepOutcome:
        default_at = self.offset_s + 0.001 if self.steps_run else 0.0
        self.move_to(float(step.get("at", default_at)))
        self.steps_run += 1
        if "send" in step:
            return self.send(step["send"])
        if "patch" in step:
            return self.change(lambda raw: deep_merge(raw, step["patch"]))
        if "api" in step:
            api = step["api"]
            return self.change(lambda raw: apply_api(raw, api["op"], api.get("params", {})))
        if "advance" in step:
            self.move_to(self.offset_s + float(step["advance"]))
            return StepOutcome("applied")
        raise ValueError(f"step has no action: {sorted(step)}")

    def move_to(self, offset_s: float) -> None:
        self.offset_s = max(offset_s, self.offset_s)
        self.clock.set_offset(self.offset_s)
        self.cloud.tick()

    def send(self, spec: Mapping[str, Any]) -> StepOutcome:
        send = build_send(self.cloud.program, spec)
        journeys = []
        start = self.offset_s
        for index in range(send.count):
            if send.count > 1 and send.spread_s:
                self.move_to(start + send.spread_s * index / (send.count - 1))
            journeys.append(self.cloud.send(send.origin, send.frames))
        delivered = sum(j.result == "delivered" for j in journeys)
        result = "delivered" if delivered == len(journeys) else (
            "dropped" if delivered == 0 else "partial")
        return StepOutcome(result, journeys)

    def change(self, edit: Any) -> StepOutcome:
        try:
            raw = edit(self.raw)
            config = load_config(raw)
        except ConfigError as error:
            return StepOutcome("config_error", error=str(error))
        self.raw = raw
        self.cloud.apply(config)
        return StepOutcome("applied")
