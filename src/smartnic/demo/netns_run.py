"""`smartnic demo --netns`: the sample cloud on real namespaces, with real tools.

Brings the sample cloud `up` (one engine process per host), starts small servers in the
VMs, runs each attempt of the traffic mix with a real tool (ping, a TCP connect, a DNS
query) and sets the real outcome beside what `trace` says the engines decide, with the
deciding rule. Afterwards the engines are stopped (which flushes their flow logs) and
everything is removed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from smartnic.demo.run import _deciding_hop
from smartnic.demo.sample import SAMPLE_CONFIG
from smartnic.demo.traffic import ATTEMPTS
from smartnic.model import load_config
from smartnic.net.linux import run_in
from smartnic.runtime import orchestrate as orch
from smartnic.telemetry.trace import trace

DEMO_NAME = "sndemo"
SERVERS = {"eni-web1": (443,), "eni-app1": (8080, 22), "eni-app2": (8080, 22),
           "eni-db1": (5432, 22), "eni-bastion": (22,)}
INTERNET_SOURCES = {"198.51.100.7": "198.51.100.1", "203.0.113.9": "203.0.113.1",
                    "2001:db8:ffff::7": "2001:db8:ffff::1"}


@dataclass(frozen=True)
class RealAttempt:
    description: str
    command: str
    reached: bool | None  # None: no real tool for it here
    engine_says: str
    rule: str


def run_netns_demo(flowlog_dir: Path) -> tuple[list[RealAttempt], dict[str, Any], list[str]]:
    workdir = Path(tempfile.mkdtemp(prefix="smartnic-demo-"))
    config_path = workdir / "sample.yaml"
    config_path.write_text(yaml.safe_dump(SAMPLE_CONFIG))
    topo = orch.up(config_path, DEMO_NAME, flowlog_dir)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        layout = topo.plan()
        servers = _start_servers(layout)
        verdicts = trace(load_config(SAMPLE_CONFIG), [spec for _, spec in ATTEMPTS])
        attempts = [_attempt(layout, d, s, v) for (d, s), v in zip(ATTEMPTS, verdicts,
                                                                   strict=True)]
        counters = orch.counters(topo)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=5)
        orch.down(topo)
    lines = _flow_log_lines(flowlog_dir)
    return attempts, counters, lines


def _start_servers(layout: Any) -> list[subprocess.Popen[bytes]]:
    servers = []
    for eni, ports in SERVERS.items():
        for port in ports:
            servers.append(subprocess.Popen(
                ["ip", "netns", "exec", layout.vms[eni].netns, sys.executable, "-m",
                 "http.server", str(port), "--bind", "::"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    subprocess.run(["sleep", "1"], check=True)
    return servers


def _attempt(layout: Any, description: str, spec: dict[str, Any], verdict: Any) -> RealAttempt:
    hop = _deciding_hop(list(verdict.hops))
    says = f"{verdict.result} ({verdict.stage})" if verdict.stage else verdict.result
    argv = _tool(spec)
    if argv is None:
        return RealAttempt(description, "-", None, says, hop.rule or hop.detail if hop else "-")
    ns = (layout.internet.netns if spec["from"] == "internet"
          else layout.vms[spec["from"]].netns)
    done = run_in(ns, argv, timeout=10)
    return RealAttempt(description, " ".join(argv[-4:]), done.returncode == 0, says,
                       (hop.rule or hop.detail) if hop else "-")


def _tool(spec: dict[str, Any]) -> list[str] | None:
    probe = [sys.executable, "-m", "smartnic.demo.probe"]
    dst, proto = str(spec["dst"]), spec["proto"]
    if spec.get("src") and spec["from"] != "internet":
        return None  # a spoofed source needs a raw socket; the in-memory demo shows it
    if proto == "icmp":
        return ["ping", "-c", "1", "-W", "2", dst]
    if proto == "udp" and spec.get("dport") == 53 and dst.startswith("10."):
        return [*probe, "dns", dst, "ip-10-10-2-20.ec2.internal"]
    if proto == "tcp" and not dst.startswith(("192.0.2.", "10.30.")):
        source = INTERNET_SOURCES.get(str(spec.get("src")), "")
        return [*probe, "tcp", dst, str(spec["dport"]), *([source] if source else [])]
    return None  # no server out there on the demo's internet


def _flow_log_lines(flowlog_dir: Path) -> list[str]:
    import gzip

    lines = []
    for path in sorted(flowlog_dir.rglob("*.log.gz")):
        lines += gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
    return lines
