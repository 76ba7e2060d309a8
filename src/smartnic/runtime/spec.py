"""What one engine process needs to start: written by `smartnic up`, read by `smartnic engine`.

One JSON file per engine. A host engine reads its VM ports (host-side veth names, one per
local ENI) and its underlay address; the edge engine reads the interface facing the
internet namespace. Control socket and flow-log directory live in the topology's state
directory. `poll_mode` (runtime/polling.py) and `cpus` (the CPUs the engine is pinned to;
empty: wherever the scheduler puts it) come from `up --poll` and `up --cpus`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from smartnic.runtime.polling import PollMode


class EngineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["host", "edge"]
    host_id: str  # "edge" for the edge
    config_path: str
    netns: str
    underlay_ip: str
    # "udp": a UDP socket on underlay_ip (the kernel does outer IP/UDP); "afpacket": rings on
    # underlay_ifname, outer headers built by the engine, no system call per packet.
    underlay_mode: Literal["udp", "afpacket"] = "afpacket"
    underlay_ifname: str | None = None
    vm_ports: dict[str, str] = {}  # ENI id -> interface name in the engine's namespace
    internet_ifname: str | None = None  # edge only
    control_socket: str
    flowlog_dir: str
    log_path: str
    poll_mode: PollMode = "interrupt"
    cpus: list[int] = []

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: Path) -> EngineSpec:
        return cls.model_validate_json(path.read_text())
