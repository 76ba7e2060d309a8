"""`up`, `down`: a topology of namespaces with one supervised engine process per host.

`up` checks the name and the config first (a refused config changes nothing on the
machine), compiles the kernels (engines, and engines restarted later, only load them),
builds the namespaces, copies the config into the topology's state directory (engines read
that copy), writes one spec per engine, starts the supervisor (supervisor.py), which
starts the engines inside their host namespaces, and waits until each answers on its
control socket. If anything fails, everything made so far is removed again.

`down` ends the supervisor first (it stops its engines), then every recorded process that
still runs and is still ours, then links, namespaces and the state (net/linux/cleanup.py).
`status` and `counters` are in topology_status.py.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Literal

import yaml

from smartnic.dataplane.warmup import warm_up
from smartnic.model import load_config_file
from smartnic.model.config import Config
from smartnic.net.linux import TopologyExists, TopologyPlan, build, plan, read_state, teardown
from smartnic.net.linux.nsexec import load_nft, overlay_ingress_drop_ruleset
from smartnic.runtime.polling import EnginePlacement
from smartnic.runtime.spawn import spawn_recorded
from smartnic.runtime.spec import EngineSpec
from smartnic.runtime.supervision import (
    SUPERVISOR_ROLE,
    read_report,
    supervisor_records,
    supervisor_running,
)
from smartnic.runtime.topology import (
    BrokenTopology,
    NoSuchTopology,
    Topology,
    known_topologies,
    last_log_line,
    topology,
)
from smartnic.runtime.topology_status import counters, describe, status, unhealthy

START_TIMEOUT_S = 120.0  # engines load compiled kernels first (compiled by `up` itself)
READY_POLL_S = 0.1
OVERLAY_UDP_PORTS = (4789, 6081)

UnderlayMode = Literal["udp", "afpacket"]  # EngineSpec.underlay_mode
DEFAULT_UNDERLAY: UnderlayMode = "afpacket"  # measured faster (docs/benchmarks.md)

__all__ = ["BrokenTopology", "NoSuchTopology", "Topology", "UpError", "check_up", "counters",
           "describe", "down", "known_topologies", "status", "topology", "unhealthy", "up"]


class UpError(RuntimeError):
    """`up` could not finish; what it made has been removed."""


def up(config_path: Path, prefix: str, flowlog_dir: Path, root: Path | None = None,
       underlay_mode: str = DEFAULT_UNDERLAY, placement: EnginePlacement | None = None
       ) -> Topology:
    """`underlay_mode`: "afpacket" (rings, the default) or "udp" (a socket on the underlay
    address);
    `placement`: how host engines wait for frames and which CPUs they run on.

    Refusals that touch nothing: ValueError (name, underlay mode), ConfigError (the
    config), TopologyExists (the name is taken). UpError: a failure after the build began;
    the topology was removed again.
    """
    topo, config, mode = check_up(config_path, prefix, root, underlay_mode)
    layout = plan(config, prefix, config_path=str(topo.config_copy))
    warm_up()  # compile the kernels once, here, so engines (and their restarts) only load them
    try:
        build(layout, topo.state_path)  # TopologyExists: raised before anything is made
        _save_config(config, topo.config_copy)
        if mode == "afpacket":
            _keep_kernel_off_the_overlay(layout)
        specs = _write_specs(topo, layout, flowlog_dir.resolve(), mode,
                             placement or EnginePlacement())
        _start_supervisor(topo, specs)
        _wait_ready(topo)
    except TopologyExists:
        raise
    except BaseException as error:
        down(topo)
        if isinstance(error, Exception):
            raise UpError(f"{error}; the topology was removed again") from error
        raise
    return topo


def check_up(config_path: Path, prefix: str, root: Path | None = None,
             underlay_mode: str = DEFAULT_UNDERLAY) -> tuple[Topology, Config, UnderlayMode]:
    """The refusals of `up` that touch nothing (no root needed): ValueError, ConfigError,
    TopologyExists."""
    topo = topology(prefix, root)  # ValueError: an invalid name
    mode = _underlay_mode(underlay_mode)
    if topo.exists():
        raise TopologyExists(f"topology {prefix!r} is already up: `smartnic down --name "
                             f"{prefix}` first, or choose another name")
    return topo, load_config_file(config_path), mode


def down(topo: Topology) -> list[str]:
    state = _readable_state(topo)
    removed = teardown(topo.prefix, state_root=topo.directory.parent)
    _reap_supervisors(state)
    if topo.directory.exists():
        shutil.rmtree(topo.directory, ignore_errors=True)
    return removed


def _readable_state(topo: Topology) -> dict[str, object]:
    try:
        return read_state(topo.state_path) or {}
    except ValueError:
        return {}


def _reap_supervisors(state: dict[str, object]) -> None:
    """A supervisor `up` started in this process is its child: collect its exit status."""
    for record in supervisor_records(state):
        try:
            os.waitpid(int(record["pid"]), os.WNOHANG)
        except ChildProcessError:
            pass  # not our child (`up` ran in another process)


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


def _write_specs(topo: Topology, layout: TopologyPlan, flowlog_dir: Path,
                 underlay_mode: UnderlayMode, placement: EnginePlacement) -> list[Path]:
    hosts = [h for h in layout.hosts.values() if h.kind == "engine"]
    specs = [
        EngineSpec(role="host", host_id=h.id, config_path=str(topo.config_copy), netns=h.netns,
                   underlay_ip=h.underlay_ip, underlay_mode=underlay_mode,
                   underlay_ifname=h.underlay_dev, vm_ports=dict(h.vm_links),
                   control_socket=str(topo.directory / f"{h.id}.sock"),
                   flowlog_dir=str(flowlog_dir), log_path=str(topo.log_path(h.id)),
                   poll_mode=placement.poll_mode, cpus=placement.host_cpus(index))
        for index, h in enumerate(hosts)
    ]
    specs.append(EngineSpec(cpus=placement.cpus,
        role="edge", host_id="edge", config_path=str(topo.config_copy), netns=layout.edge.netns,
        underlay_ip=layout.edge.underlay_ip, underlay_mode=underlay_mode,
        underlay_ifname=layout.edge.underlay_dev, internet_ifname=layout.edge.external_dev,
        control_socket=str(topo.directory / "edge.sock"), flowlog_dir=str(flowlog_dir),
        log_path=str(topo.log_path("edge"))))
    for spec in specs:
        spec.save(topo.spec_path(spec.host_id))
    return [topo.spec_path(spec.host_id) for spec in specs]


def _start_supervisor(topo: Topology, specs: list[Path]) -> None:
    argv = [sys.executable, "-m", "smartnic.runtime.supervisor", "--state",
            str(topo.state_path), *map(str, specs)]
    spawn_recorded(topo.state_path, SUPERVISOR_ROLE, argv, topo.log_path(SUPERVISOR_ROLE),
                   kind="supervisor")


def _wait_ready(topo: Topology) -> None:
    """Until the supervisor reports every engine answering; an exit before that fails `up`."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not supervisor_running(read_state(topo.state_path) or {}):
            raise RuntimeError("the supervisor exited: "
                               + last_log_line(topo.log_path(SUPERVISOR_ROLE)))
        engines = (read_report(topo.directory) or {}).get("engines", {})
        for role, engine in engines.items():
            if engine["restarts"] or engine["state"] not in ("starting", "running"):
                raise RuntimeError(f"engine {role} exited ({engine['last_exit']}) before it "
                                   f"was ready: {last_log_line(topo.log_path(role))}")
        if engines and all(e["state"] == "running" for e in engines.values()):
            return
        time.sleep(READY_POLL_S)
    raise RuntimeError(f"engines not ready after {START_TIMEOUT_S:g} s")
