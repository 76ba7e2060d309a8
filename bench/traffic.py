"""Packet-rate and latency measurements between a client VM namespace and a server VM
namespace, independent of the datapath that connects them.

`measure_udp_pps(client_ns, server_ns, server_ip)` offers 64-byte UDP frames (18 bytes of
payload over IPv4) from the AF_PACKET TX-ring generator in `bench/txring.py`, pinned to one
CPU in the client namespace, and counts:
  - offered: frames the client's interface accepted or dropped (its tx_packets + tx_dropped),
  - delivered: frames that reached the server's IP layer, by an nftables counter in the
    server namespace (prerouting, before conntrack) that then drops them, so no socket,
    reply or ICMP error loads the path back.
Both are sampled after a warm-up (first packets take slow paths: ARP, OVS upcalls) over a
window of `seconds`, each against its own timestamps. Returns offered_pps, delivered_pps,
loss_ratio and the run's parameters.

`measure_rtt(client_ns, server_ip)` runs ping with a short interval and parses each reply's
time (the kernel's receive timestamp, microsecond resolution); returns p50/p99/mean in µs.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.netns import BenchError, generator_cpu, sh, stop_process, succeeds
from bench.txring import udp_frame

TXRING = Path(__file__).with_name("txring.py")
GENERATOR = "AF_PACKET PACKET_TX_RING sender (bench/txring.py), qdisc bypass"


def _json(args: list[str], ns: str) -> Any:
    return json.loads(sh(args, ns) or "null")


def _frame_for(client_ns: str, server_ip: str, dport: int, sport: int,
               frame_bytes: int) -> tuple[str, bytes]:
    """(client device, frame) for a UDP datagram to server_ip along the client's route."""
    route = _json(["ip", "-j", "route", "get", server_ip], client_ns)[0]
    dev, nexthop = route["dev"], route.get("gateway", server_ip)
    # A ping resolves the next hop's MAC; its answer does not matter (ICMP may be filtered).
    succeeds(["ping", "-c", "1", "-W", "1", server_ip], client_ns)
    neigh = _json(["ip", "-j", "neigh", "show", nexthop, "dev", dev], client_ns)
    macs = [n["lladdr"] for n in neigh if "lladdr" in n]
    if not macs:
        raise BenchError(f"no neighbour entry for {nexthop} on {dev} in {client_ns}")
    src_mac = _json(["ip", "-j", "link", "show", "dev", dev], client_ns)[0]["address"]
    frame = udp_frame(src_mac, macs[0], route["prefsrc"], server_ip, sport, dport, frame_bytes)
    return dev, frame


def _add_sink(server_ns: str, server_ip: str, dport: int) -> str:
    table = f"snb_sink_{secrets.token_hex(3)}"
    rules = (f"table inet {table} {{ chain prerouting {{"
             f" type filter hook prerouting priority -300; policy accept;"
             f" ip daddr {server_ip} udp dport {dport} counter drop; }}; }}")
    sh(["nft", rules], server_ns)
    return table


def _sink_count(server_ns: str, table: str) -> int:
    for item in _json(["nft", "-j", "list", "table", "inet", table], server_ns)["nftables"]:
        for expr in item.get("rule", {}).get("expr", []):
            if "counter" in expr:
                return int(expr["counter"]["packets"])
    raise BenchError(f"counter of nftables table {table} not found in {server_ns}")


def _tx_count(client_ns: str, dev: str) -> int:
    tx = _json(["ip", "-j", "-s", "link", "show", "dev", dev], client_ns)[0]["stats64"]["tx"]
    return int(tx["packets"]) + int(tx["dropped"])


def _timed(read: Any) -> tuple[float, int]:
    """(time at the middle of the read, value) — each counter gets its own timestamps."""
    before = time.monotonic()
    value = read()
    return (before + time.monotonic()) / 2, value


def _start_sender(client_ns: str, dev: str, frame: bytes, seconds: float,
                  rate_pps: float | None) -> subprocess.Popen[str]:
    cmd = ["ip", "netns", "exec", client_ns, sys.executable, str(TXRING), "--dev", dev,
           "--frame", frame.hex(), "--seconds", f"{seconds:.3f}", "--cpu", str(generator_cpu())]
    if rate_pps is not None:
        cmd += ["--rate", str(rate_pps)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _sample(client_ns: str, server_ns: str, dev: str, table: str,
            sender: subprocess.Popen[str]) -> tuple[tuple[float, int], tuple[float, int]]:
    if sender.poll() is not None:
        raise BenchError(f"generator exited early: {sender.stderr.read() if sender.stderr else ''}")
    return (_timed(lambda: _tx_count(client_ns, dev)),
            _timed(lambda: _sink_count(server_ns, table)))


def measure_udp_pps(client_ns: str, server_ns: str, server_ip: str, *, frame_bytes: int = 64,
                    seconds: float = 3.0, warmup: float = 0.5, dport: int = 5201,
                    sport: int = 40000, rate_pps: float | None = None) -> dict[str, Any]:
    """Offer UDP frames at full speed (or `rate_pps`) from client_ns to server_ip:dport and
    count what reaches server_ns; see the module docstring."""
    dev, frame = _frame_for(client_ns, server_ip, dport, sport, frame_bytes)
    table = _add_sink(server_ns, server_ip, dport)
    sender = _start_sender(client_ns, dev, frame, warmup + seconds + 5.0, rate_pps)
    try:
        time.sleep(warmup)
        (t0_tx, tx0), (t0_rx, rx0) = _sample(client_ns, server_ns, dev, table, sender)
        time.sleep(seconds)
        (t1_tx, tx1), (t1_rx, rx1) = _sample(client_ns, server_ns, dev, table, sender)
    finally:
        stop_process(sender)
        sh(["nft", "delete", "table", "inet", table], server_ns, check=False)
    offered = (tx1 - tx0) / (t1_tx - t0_tx)
    delivered = (rx1 - rx0) / (t1_rx - t0_rx)
    return {"offered_pps": offered, "delivered_pps": delivered,
            "loss_ratio": max(0.0, 1.0 - delivered / offered) if offered else 1.0,
            "frame_bytes": frame_bytes, "seconds": t1_rx - t0_rx, "dport": dport,
            "generator": GENERATOR, "rate_limit_pps": rate_pps}


_TIME = re.compile(r"time=([0-9.]+) ms")


def measure_rtt(client_ns: str, server_ip: str, *, count: int = 200,
                interval: float = 0.01) -> dict[str, Any]:
    """Ping server_ip `count` times every `interval` s; RTT percentiles in microseconds."""
    out = sh(["ping", "-n", "-c", str(count), "-i", f"{interval:g}", "-W", "1", server_ip],
             client_ns, check=False, timeout=count * interval + 10)
    rtts = np.array([float(m) * 1000.0 for m in _TIME.findall(out)])
    if rtts.size == 0:
        raise BenchError(f"no ping replies from {server_ip} in {client_ns}")
    return {"rtt_p50_us": float(np.percentile(rtts, 50)),
            "rtt_p99_us": float(np.percentile(rtts, 99)),
            "rtt_mean_us": float(rtts.mean()), "rtt_min_us": float(rtts.min()),
            "rtt_max_us": float(rtts.max()), "sent": count, "received": int(rtts.size),
            "method": "ping (ICMP echo), per-reply time"}
