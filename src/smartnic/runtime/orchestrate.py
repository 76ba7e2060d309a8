"""`up`, `down`, `status`: a topology of namespaces with one engine process per host.

`up` validates the config first (a refused config changes nothing on the machine), copies
it into the topology's state directory (engines read that copy), builds the namespaces,
starts the engines inside their host namespaces and waits until each answers on its
control socket; if anything fails, everything made so far is removed again.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from smartnic.dataplane.warmup import warm_up
from smartnic.model import load_config_file
from smartnic.model.config import Config
from smartnic.net.linux import (
    TopologyPlan,
    build,
    default_state_path,
    exec_in,
    plan,
    read_state,
    record_process,
    teardown,
)
from smartnic.net.linux.names import state_root
from smartnic.net.linux.nsexec import load_nft, overlay_ingress_drop_ruleset
from smartnic.runtime.control import query
from smartnic.runtime.spec import EngineSpec

START_TIMEOUT_S = 120.0  # engines load compiled kernels first (compiled by `up` itself)
OVERLAY_UDP_PORTS = (4789, 6081)
CONFIG_COPY = "config.yaml"

UnderlayMode = Literal["udp", "afpacket"]  # EngineSpec.underlay_mode


class UpError(RuntimeError):
    """`up` could not finish; what it made has been removed."""


@dataclass(frozen=True)
class Topology:
    prefix: str
    state_path: Path

    @property
    def directory(self) -> Path:
        return self.state_path.parent

    @property
    def config_copy(self) -> Path:
        return self.directory / CONFIG_COPY

    def spec_path(self, engine: str) -> Path:
        return self.directory / f"engine-{engine}.json"

    def plan(self) -> TopologyPlan:
        return plan(load_config_file(self.config_copy), self.prefix,
                    config_path=str(self.config_copy))


def topology(prefix: str, root: Path | None = None) -> Topology:
    return Topology(prefix, default_state_path(prefix, root))


def up(config_path: Path, prefix: str, flowlog_dir: Path, root: Path | None = None,
       underlay_mode: str = "udp") -> Topology:
    """`underlay_mode`: "udp" (a socket on the underlay address) or "afpacket" (rings)."""
    config = load_config_file(config_path)  # ConfigError: nothing has been touched
    warm_up()  # compile the kernels once, here, so the engines only load them
    topo = topology(prefix, root)
    layout = plan(config, prefix, config_path=str(topo.config_copy))
    build(layout, topo.state_path)  # TopologyExists: nothing has been touched
    try:
        _save_config(config, topo.config_copy)
        mode = _underlay_mode(underlay_mode)
        if mode == "afpacket":
            _keep_kernel_off_the_overlay(layout)
        pids = _start_engines(topo, layout, flowlog_dir.resolve(), mode)
        _wait_ready(topo, pids)
    except Exception as error:
        down(topo)
        raise UpError(f"{error}; the topology was removed again") from error
    return topo


def down(topo: Topology) -> list[str]:
    removed = teardown(topo.state_path)
    if topo.directory.exists():
        shutil.rmtree(topo.directory, ignore_errors=True)
    return removed


def known_topologies(root: Path | None = None) -> list[Topology]:
    base = state_root(root)
    if not base.exists():
        return []
    return [topology(d.name, root) for d in sorted(base.iterdir()) if (d / "state.json").exists()]


def status(topo: Topology) -> dict[str, Any]:
    state = read_state(topo.state_path) or {}
    layout = topo.plan()
    pids = {p["role"]: p["pid"] for p in state.get("processes", [])}
    hosts = [{"id": h.id, "netns": h.netns, "underlay_ip": h.underlay_ip, "kind": h.kind,
              "engine_pid": pids.get(h.id), "engine_alive": _alive(pids.get(h.id))}
             for h in layout.hosts.values()]
    vms = [{"eni": v.eni_id, "netns": v.netns, "host": v.host_id,
            "ips": [a.split("/")[0] for a in v.addresses]} for v in layout.vms.values()]
    edge = {"netns": layout.edge.netns, "underlay_ip": layout.edge.underlay_ip,
            "engine_pid": pids.get("edge"), "engine_alive": _alive(pids.get("edge"))}
    return {"prefix": topo.prefix, "hosts": hosts, "vms": vms, "edge": edge}


def counters(topo: Topology) -> dict[str, Any]:
    replies: dict[str, Any] = {}
    for engine in [*[h.id for h in topo.plan().hosts.values() if h.kind == "engine"], "edge"]:
        spec = EngineSpec.load(topo.spec_path(engine))
        try:
            replies[engine] = query(spec.control_socket, {"op": "counters"})
        except OSError as error:
            replies[engine] = {"error": f"engine not answering: {error}"}
    return replies


def _save_config(config: Config, path: Path) -> None:
    data = config.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _keep_kernel_off_the_overlay(layout: TopologyPlan) -> None:
    for netns, dev in [(h.netns, h.underlay_dev) for h in layout.hosts.values()
                       if h.kind == "engine"] + [(layout.edge.netns, layout.edge.underlay_dev)]:
        load_nft(netns, overlay_ingress_drop_ruleset(dev, OVERLAY_UDP_PORTS))


def _underlay_mode(value: str) -> UnderlayMode:
    """`value` checked against the modes an EngineSpec accepts."""
    if value == "udp":
        return "udp"
    if value == "afpacket":
        return "afpacket"
    raise ValueError(f"unknown underlay mode {value!r}: expected 'udp' or 'afpacket'")


def _start_engines(topo: Topology, layout: TopologyPlan, flowlog_dir: Path,
                   underlay_mode: UnderlayMode) -> dict[str, int]:
    specs = [
        EngineSpec(role="host", host_id=h.id, config_path=str(topo.config_copy), netns=h.netns,
                   underlay_ip=h.underlay_ip, underlay_mode=underlay_mode,
                   underlay_ifname=h.underlay_dev, vm_ports=dict(h.vm_links),
                   control_socket=str(topo.directory / f"{h.id}.sock"),
                   flowlog_dir=str(flowlog_dir), log_path=str(topo.directory / f"{h.id}.log"))
        for h in layout.hosts.values() if h.kind == "engine"
    ]
    specs.append(EngineSpec(
        role="edge", host_id="edge", config_path=str(topo.config_copy), netns=layout.edge.netns,
        underlay_ip=layout.edge.underlay_ip, underlay_mode=underlay_mode,
        underlay_ifname=layout.edge.underlay_dev, internet_ifname=layout.edge.external_dev,
        control_socket=str(topo.directory / "edge.sock"), flowlog_dir=str(flowlog_dir),
        log_path=str(topo.directory / "edge.log")))
    pids = {}
    for spec in specs:
        path = topo.spec_path(spec.host_id)
        spec.save(path)
        with open(spec.log_path, "ab") as log:
            process = exec_in(spec.netns, [sys.executable, "-m", "smartnic.cli.main", "engine",
                                           "--spec", str(path)],
                              stdout=log, stderr=log, stdin=None, start_new_session=True)
        record_process(topo.state_path, spec.host_id, process.pid)
        pids[spec.host_id] = process.pid
    return pids


def _wait_ready(topo: Topology, pids: dict[str, int]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = dict(pids)
    while waiting and time.monotonic() < deadline:
        for engine, pid in list(waiting.items()):
            if not _alive(pid):
                log = topo.directory / f"{engine}.log"
                tail = log.read_text()[-800:] if log.exists() else ""
                raise RuntimeError(f"engine {engine} (pid {pid}) exited:\n{tail}")
            try:
                query(EngineSpec.load(topo.spec_path(engine)).control_socket, {"op": "status"})
                del waiting[engine]
            except OSError:
                pass
        time.sleep(0.1)
    if waiting:
        raise RuntimeError(f"engines not ready after {START_TIMEOUT_S} s: {sorted(waiting)}")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False
    return state != "Z"
