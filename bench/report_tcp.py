"""The report's TCP section: one iperf3 stream per datapath (bench.tcp), as markdown lines.

`tcp_section(results)` -> lines: how it was measured (MTU, pinning, what host CPU counts)
and a table of Gb/s, retransmits, MSS, CPU-seconds and cores per Gb/s per datapath; a
datapath that could not run shows its error.
"""

from __future__ import annotations

from typing import Any

HEADER = ("datapath", "Gb/s received", "retransmits", "MSS B", "VM MTU", "host CPU-s",
          "of which datapath user", "cores", "cores per Gb/s")


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _row(name: str, x: dict[str, Any]) -> tuple[str, ...]:
    if "error" in x:
        return (name, x["error"], *[""] * (len(HEADER) - 2))
    return (name, _number(x["gbps"], 2), _number(x.get("retransmits"), 0),
            _number(x.get("mss"), 0), _number(x.get("vm_mtu"), 0), _number(x["cpu_s"], 2),
            _number(x["datapath_user_cpu_s"], 2), _number(x["cpu_cores"], 2),
            _number(x["cpu_cores_per_gbps"], 2))


def tcp_section(r: dict[str, Any]) -> list[str]:
    tcp = r.get("tcp")
    title = "## (d) End to end, TCP: one stream VM to VM at the VPC's MTU"
    if not tcp:
        return [title, "", "Not run (`--skip-e2e`, or the step failed).", ""]
    seconds = (r.get("settings") or {}).get("tcp_seconds", "?")
    return [title, "",
            f"One iperf3 TCP stream of {seconds} s from the client VM to the server VM on "
            "the other host, VM interfaces at MTU 9001 and a 9216-byte underlay in every "
            "datapath; iperf3 client and server pinned to the CPU the datapath leaves to "
            "the VMs. smartnic: `smartnic up` as by default (AF_PACKET underlay, engines pinned "
            "to the other CPU; the VMs' offloads off, as `up` sets them); kernel: VXLAN + "
            "nftables conntrack with the VMs' TSO/checksum offloads on (GSO super-frames "
            "through VXLAN), kernel-no-offload the same with them off; ovs: the userspace "
            "datapath, VMs' offloads off. Host CPU: user time of the datapath's processes "
            "(engines; ovs-vswitchd and ovsdb-server; none for the kernel) plus the "
            "machine's system, IRQ and softirq time from /proc/stat over the stream "
            "(bench/hostcpu.py) — so it includes the VMs' own TCP stacks, the same work "
            "for every datapath; cores = CPU-seconds per second of the stream.", "",
            *_table(HEADER, [_row(name, x) for name, x in tcp.items()]), ""]
