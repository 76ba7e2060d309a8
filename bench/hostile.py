"""Measurement (f), `hostile`: one VM floods new connections; its neighbours must not notice.

The cloud (`hostile_config`): one VPC, two hosts. host-1 runs the flooder (eni-flooder,
10.0.1.10) and a bystander (eni-quiet-1, 10.0.1.20); host-2 the flood's target
(eni-target, 10.0.2.10) and a bystander (eni-quiet-2, 10.0.2.20). Every ENI's security
group lets the VPC in (TCP, UDP, ICMP; tracked) and everything out; a VPC flow log is on.
Each VM runs the echo server of hostile_probe.py on TCP 5201.

`run_hostile(rates, seconds, ping_count, connects, progress)`: `smartnic up` (as bench/e2e.py
builds it), then the bystanders' idle figures (ping quiet-2 -> quiet-1, across both
engines; new TCP connections quiet-2 -> quiet-1), then per flood rate (None: as fast as
the TX-ring generator goes, bench/txring.py --new-flows, pinned to the generator's CPU):
established flows opened before the flood (flooder -> target, quiet-1 -> quiet-2, a
64-byte echo every 20 ms), the flood of TCP SYNs (a new source port each) from the
flooder to the target for `seconds`, and during it the bystanders' ping and connects.
Reported per rate: ping p50/p99 idle and under flood with loss, TCP connects ok/failed,
established round trips and their longest gap, SYNs offered (handed to the kernel by the
generator) and what became of them (refused by the allowance at the sender and at the
receiver, tracked, refused at conntrack capacity), engine RSS before and after, and
whether every engine kept its PID.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.netns import (
    BenchError,
    generator_cpu,
    sh,
    stop_process,
    succeeds,
    wait_listening,
)
from bench.txring import tcp_syn_frame
from smartnic.runtime import orchestrate

PROBE = Path(__file__).with_name("hostile_probe.py")
TXRING = Path(__file__).with_name("txring.py")
PORT = 5201
VMS = {"eni-flooder": ("host-1", "subnet-1", "10.0.1.10"),
       "eni-quiet-1": ("host-1", "subnet-1", "10.0.1.20"),
       "eni-target": ("host-2", "subnet-2", "10.0.2.10"),
       "eni-quiet-2": ("host-2", "subnet-2", "10.0.2.20")}
Progress = Callable[[str], None]
_REPLY = re.compile(r"icmp_seq=(\d+) .*?time=([0-9.]+) ms")


def hostile_config() -> dict[str, Any]:
    vpc_in: list[dict[str, Any]] = [
        {"proto": proto, "ports": "0-65535", "peer": "10.0.0.0/16"} for proto in ("tcp", "udp")]
    vpc_in.append({"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"})
    return {
        "vpcs": [{"id": "vpc-h", "cidrs": ["10.0.0.0/16"]}],
        "subnets": [{"id": "subnet-1", "vpc": "vpc-h", "cidr": "10.0.1.0/24"},
                    {"id": "subnet-2", "vpc": "vpc-h", "cidr": "10.0.2.0/24"}],
        "security_groups": [{"id": "sg-h", "vpc": "vpc-h", "ingress": vpc_in,
                             "egress": [{"proto": "all", "peer": "0.0.0.0/0"}]}],
        "enis": [{"id": eni, "subnet": subnet, "ips": [ip], "sgs": ["sg-h"]}
                 for eni, (_, subnet, ip) in VMS.items()],
        "hosts": [{"id": host, "enis": [e for e, v in VMS.items() if v[0] == host]}
                  for host in ("host-1", "host-2")],
        "flow_logs": [{"id": "fl-h", "resource": "vpc-h", "interval": 60}],
    }


@dataclass
class HostileBed:
    topo: orchestrate.Topology
    netns: dict[str, str]  # ENI id -> VM namespace

    def ip(self, eni: str) -> str:
        return VMS[eni][2]


@contextmanager
def servers(bed: HostileBed) -> Iterator[None]:
    """The echo server in every VM, stopped by PID."""
    procs = [subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(PROBE), "serve",
                               "--port", str(PORT)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for ns in bed.netns.values()]
    try:
        deadline = time.monotonic() + 10
        for ns in bed.netns.values():
            wait_listening(ns, PORT, deadline)
        yield
    finally:
        for proc in procs:
            stop_process(proc)


def engine_pids(topo: orchestrate.Topology) -> dict[str, int]:
    return {h["id"]: int(h["engine_pid"]) for h in orchestrate.status(topo)["hosts"]
            if h.get("engine_pid")}


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def ping(ns: str, ip: str, count: int, interval_s: float = 0.01) -> dict[str, Any]:
    """Every echo waited for until 10 s after the last one is sent (`-w`: ping's own `-W`
    gives up two round trips after the last send once any reply came, so a late reply
    would count as lost); later replies count as lost."""
    deadline = int(count * interval_s) + 10
    out = sh(["ping", "-n", "-c", str(count), "-i", f"{interval_s:g}", "-w", str(deadline),
              ip], ns, check=False, timeout=deadline + 15)
    return ping_figures(out, count)


def ping_figures(out: str, sent: int) -> dict[str, Any]:
    """Figures of echoes 1..`sent` (with `-w`, ping sends on until `sent` replies came; the
    replies of later echoes follow theirs on the same path, so they are left out)."""
    replies: dict[int, float] = {}
    for seq, ms in _REPLY.findall(out):
        if int(seq) <= sent:
            replies.setdefault(int(seq), float(ms))  # a duplicate is not a second reply
    rtts = np.array(list(replies.values()))
    if rtts.size == 0:
        return {"sent": sent, "received": 0, "loss": 1.0, "p50_ms": None, "p99_ms": None}
    return {"sent": sent, "received": int(rtts.size), "loss": 1.0 - rtts.size / sent,
            "p50_ms": float(np.percentile(rtts, 50)), "p99_ms": float(np.percentile(rtts, 99))}


def probe(ns: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, str(PROBE), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result_of(proc: subprocess.Popen[str], timeout_s: float) -> dict[str, Any]:
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stop_process(proc)
        return {"error": "did not finish"}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"error": err.strip()[-300:] or "no output"}


def started_stream(ns: str, ip: str, seconds: float) -> subprocess.Popen[str]:
    """An established flow: connected (its "ready" read) before this returns."""
    proc = probe(ns, "stream", "--ip", ip, "--port", str(PORT), "--seconds", f"{seconds:g}")
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        stop_process(proc)
        raise BenchError(f"no established flow from {ns} to {ip}")
    return proc


def syn_flood(bed: HostileBed, seconds: float, rate: float | None) -> subprocess.Popen[str]:
    """TCP SYNs from the flooder to the target, a new source port each (txring.py)."""
    ns, target = bed.netns["eni-flooder"], bed.ip("eni-target")
    succeeds(["ping", "-c", "1", "-W", "1", target], ns)  # the router's MAC resolved
    route = json.loads(sh(["ip", "-j", "route", "get", target], ns))[0]
    gateway = route.get("gateway", target)
    neigh = json.loads(sh(["ip", "-j", "neigh", "show", gateway, "dev", route["dev"]], ns))
    mac = next((n["lladdr"] for n in neigh if "lladdr" in n), None)
    if mac is None:
        raise BenchError(f"no neighbour entry for {gateway} in {ns}")
    src_mac = json.loads(sh(["ip", "-j", "link", "show", "dev", route["dev"]], ns))[0]["address"]
    frame = tcp_syn_frame(src_mac, mac, route["prefsrc"], target, 1024, PORT)
    cmd = ["ip", "netns", "exec", ns, sys.executable, str(TXRING), "--dev", route["dev"],
           "--frame", frame.hex(), "--seconds", f"{seconds:.3f}", "--new-flows",
           "--cpu", str(generator_cpu())]
    if rate is not None:
        cmd += ["--rate", str(rate)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def engine_counters(topo: orchestrate.Topology, attempts: int = 10
                    ) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Every ENI's counters, and per host engine how often each phase of its loop held it
    over 10 and 100 ms (`{"host-1": {"ports over_10ms": n, ...}}`). An engine still busy
    with a flood's backlog may not answer at once, so it is asked again (a second apart);
    an engine that never answered is missing."""
    enis: dict[str, dict[str, int]] = {}
    holds: dict[str, dict[str, int]] = {}
    for attempt in range(attempts):
        replies = orchestrate.counters(topo)
        for host, reply in replies.items():
            enis.update(reply.get("enis") or {})
            if reply.get("enis") is not None and "loop" in reply:
                holds[host] = {f"{phase} {over}": figures[over]
                               for phase, figures in reply["loop"]["held"].items()
                               for over in ("over_10ms", "over_100ms")}
        if not any("error" in reply for reply in replies.values()):
            break
        if attempt + 1 < attempts:
            time.sleep(1.0)
    return enis, holds


FATE = ("new_flow_allowance_exceeded", "conntrack_opened", "conntrack_allowance_exceeded",
        "slowpath_share_exceeded", "rx_packets")


def _fate(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
          ) -> dict[str, dict[str, int | None]]:
    """What the flood's packets became, per ENI (None: its engine did not answer)."""
    return {eni: {name: (after[eni].get(name, 0) - before[eni].get(name, 0)
                         if eni in before and eni in after else None)
                  for name in FATE} for eni in ("eni-flooder", "eni-target")}


def idle(bed: HostileBed, ping_count: int, connects: int) -> dict[str, Any]:
    quiet_2, quiet_1 = bed.netns["eni-quiet-2"], bed.ip("eni-quiet-1")
    return {"ping": ping(quiet_2, quiet_1, ping_count),
            "connects": result_of(probe(quiet_2, "connect", "--ip", quiet_1, "--port",
                                        str(PORT), "--count", str(connects)), 60)}


def flood_phase(bed: HostileBed, rate: float | None, seconds: float, ping_count: int,
                connects: int) -> dict[str, Any]:
    pids = engine_pids(bed.topo)
    rss_before = {host: rss_bytes(pid) for host, pid in pids.items()}
    counters_before, holds_before = engine_counters(bed.topo)
    streams = {"flooder": started_stream(bed.netns["eni-flooder"], bed.ip("eni-target"),
                                         seconds + 2),
               "quiet-1": started_stream(bed.netns["eni-quiet-1"], bed.ip("eni-quiet-2"),
                                         seconds + 2)}
    flood = syn_flood(bed, seconds, rate)
    time.sleep(min(1.0, seconds / 4))  # the flood under way
    quiet_2, quiet_1 = bed.netns["eni-quiet-2"], bed.ip("eni-quiet-1")
    connect = probe(quiet_2, "connect", "--ip", quiet_1, "--port", str(PORT), "--count",
                    str(connects))
    pinged = ping(quiet_2, quiet_1, ping_count)
    connected = result_of(connect, 60)
    offered = result_of(flood, seconds + 30)
    established = {name: result_of(proc, seconds + 30) for name, proc in streams.items()}
    time.sleep(0.5)  # the engines drain their queues before they are asked
    after_pids = engine_pids(bed.topo)
    counters_after, holds_after = engine_counters(bed.topo)
    return {"rate_pps": rate, "seconds": seconds, "offered": offered.get("submitted"),
            "offered_pps": (offered["submitted"] / offered["seconds"]
                            if offered.get("seconds") else None),
            "ping": pinged, "connects": connected, "established": established,
            "fate": _fate(counters_before, counters_after),
            "loop_holds": {host: {name: count - holds_before.get(host, {}).get(name, 0)
                                  for name, count in holds.items()}
                           for host, holds in holds_after.items()},
            "rss_before_bytes": rss_before,
            "rss_after_bytes": {host: rss_bytes(pid) for host, pid in after_pids.items()},
            "engines_survived": after_pids == pids}


@contextmanager
def hostile_bed() -> Iterator[HostileBed]:
    """`smartnic up` of hostile_config (bench/e2e.py's way: a child process, engines
    pinned to the CPUs the generator leaves), always brought down."""
    from bench.e2e import SmartnicTopology

    with SmartnicTopology(config=hostile_config(), pair=("eni-quiet-2", "eni-quiet-1")) as anchor:
        topo = orchestrate.topology(anchor.prefix)
        layout = topo.plan()
        bed = HostileBed(topo, {eni: layout.vms[eni].netns for eni in VMS})
        with servers(bed):
            yield bed


def run_hostile(rates: list[float | None], seconds: float, ping_count: int, connects: int,
                progress: Progress) -> dict[str, Any]:
    with hostile_bed() as bed:
        progress("hostile: bystanders idle")
        results: dict[str, Any] = {"idle": idle(bed, ping_count, connects), "floods": []}
        for rate in rates:
            progress(f"hostile: SYN flood at {'full speed' if rate is None else f'{rate:g}/s'}")
            results["floods"].append(flood_phase(bed, rate, seconds, ping_count, connects))
        return results
