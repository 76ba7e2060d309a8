"""The TCP measurement's pieces without real ports: iperf3's JSON report read into figures,
host CPU read from /proc formats, the `--json` figures and the report's TCP table."""

from __future__ import annotations

from typing import Any

import pytest

from bench import harness
from bench.hostcpu import CpuWindow, parse_pid_stat, parse_proc_stat
from bench.netns import BenchError
from bench.report_tcp import tcp_section
from bench.tcp import parse_iperf3

# What iperf3 3.12 prints with --json for one TCP stream (trimmed to the fields read).
IPERF3_REPORT: dict[str, Any] = {
    "start": {"version": "iperf 3.12", "tcp_mss_default": 8949, "sock_bufsize": 0},
    "intervals": [],
    "end": {
        "sum_sent": {"start": 0, "end": 3.000087, "seconds": 3.000087, "bytes": 1_125_000_000,
                     "bits_per_second": 3.0e9, "retransmits": 12, "sender": True},
        "sum_received": {"start": 0, "end": 3.001, "seconds": 3.001, "bytes": 1_110_000_000,
                         "bits_per_second": 2.96e9, "sender": True},
        "cpu_utilization_percent": {"host_total": 40.0},
    },
}


def test_iperf3_report_gives_received_gbps_retransmits_and_mss() -> None:
    figures = parse_iperf3(IPERF3_REPORT)
    assert figures == {"gbps": pytest.approx(2.96), "sender_gbps": pytest.approx(3.0),
                       "bytes": 1_110_000_000, "seconds": pytest.approx(3.001),
                       "retransmits": 12, "mss": 8949}


@pytest.mark.parametrize("report, message", [
    ({"start": {}, "end": {}, "error": "unable to connect to server: Connection refused"},
     "Connection refused"),
    ({"start": {}, "end": {}}, "no totals"),
    ({}, "no totals"),
])
def test_a_failed_iperf3_test_raises_with_its_reason(report: dict[str, Any],
                                                      message: str) -> None:
    with pytest.raises(BenchError, match=message):
        parse_iperf3(report)


def test_proc_stat_kernel_time_is_system_irq_and_softirq() -> None:
    text = ("cpu  100 5 200 9000 30 7 11 0 0 0\n"
            "cpu0 50 2 100 4500 15 3 5 0 0 0\nintr 12345\n")
    assert parse_proc_stat(text) == 200 + 7 + 11
    with pytest.raises(ValueError):
        parse_proc_stat("intr 1\n")


def test_pid_stat_user_time_survives_odd_process_names() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
    text = "4242 (py (thread) x) S 1 4242 4242 0 -1 4194560 10 0 0 0 777 88 0 0 20 0 3\n"
    assert parse_pid_stat(text) == 777


def test_cpu_window_counts_this_process_and_never_goes_negative() -> None:
    import os

    with CpuWindow([os.getpid(), 2 ** 22 + 1]) as window:  # the second pid does not exist
        sum(i * i for i in range(300_000))
    result = window.result()
    assert result["wall_s"] > 0 and result["datapath_user_cpu_s"] >= 0
    assert result["cpu_s"] == pytest.approx(result["datapath_user_cpu_s"]
                                            + result["kernel_cpu_s"])


def _measured(gbps: float, cores: float) -> dict[str, Any]:
    return {"gbps": gbps, "sender_gbps": gbps, "bytes": 1, "seconds": 3.0, "retransmits": 0,
            "mss": 8949, "vm_mtu": 9001, "cpu_s": 3 * cores, "datapath_user_cpu_s": cores,
            "kernel_cpu_s": 2 * cores, "wall_s": 3.0, "cpu_cores": cores,
            "cpu_cores_per_gbps": cores / gbps}


TCP_RESULTS = {"smartnic": _measured(0.8, 1.2), "kernel": _measured(9.5, 1.0),
               "kernel-no-offload": _measured(3.0, 1.0),
               "ovs": {"error": "AnchorUnavailable: Open vSwitch is not installed"}}


def test_json_figures_carry_tcp_gbps_per_datapath() -> None:
    results = {"settings": {"quick": True}, "tcp": TCP_RESULTS}
    e2e = harness.figures(results)["e2e"]
    assert e2e["tcp_gbps"] == {"smartnic": 0.8, "kernel": 9.5, "ovs": None}
    assert e2e["tcp_cores_per_gbps"]["smartnic"] == pytest.approx(1.5)
    skipped = harness.figures({"settings": {"quick": True}})["e2e"]
    assert skipped["tcp_gbps"] == {"smartnic": None, "kernel": None, "ovs": None}


def test_report_tcp_table_has_a_row_per_datapath_and_errors_in_words() -> None:
    text = "\n".join(tcp_section({"settings": {"tcp_seconds": 5.0}, "tcp": TCP_RESULTS}))
    assert "MTU 9001" in text and "of 5.0 s" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(TCP_RESULTS)
    assert "| smartnic | 0.80 | 0 | 8,949 | 9,001 | 3.60 | 1.20 | 1.20 | 1.50 |" in rows
    assert any(row.startswith("| ovs | AnchorUnavailable") for row in rows)
    assert "Not run" in "\n".join(tcp_section({"settings": {}}))
