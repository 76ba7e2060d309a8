"""The processes a topology records in its state file, and which of them are still ours.

Records are `{"role", "pid", "start_time", "kind"}` (net/linux/state.py); `kind` is
`SUPERVISOR_KIND` or `ENGINE_KIND`. Whether a record still names a running process is
read from /proc. Kept outside `net.linux` so that an engine can check who started it
without importing the namespace builder (pyroute2: a second of every restart).

A PID alone names a process only while it runs: once it exits the kernel may give the
number to anything else. A PID together with its start time (field 22 of
/proc/<pid>/stat, clock ticks since boot) names one process for the machine's uptime, so
teardown ends a recorded PID only when both still match. Records without a start time
(older state files) fall back to the command line carrying `smartnic`.
"""

from __future__ import annotations

from pathlib import Path

PROCESS_MARK = b"smartnic"
SUPERVISOR_KIND = "supervisor"
ENGINE_KIND = "engine"
_START_TIME_FIELD = 19  # field 22 of stat, counted after the ")" that ends the command name


def _stat_fields(pid: int) -> list[str] | None:
    """Fields after the command name (which may itself hold spaces and parentheses)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    if fields is None or len(fields) <= _START_TIME_FIELD:
        return None
    return int(fields[_START_TIME_FIELD])


def running(pid: int) -> bool:
    """Exists and has not exited (a zombie has; its parent reaps it, not us)."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"  # type: ignore[index]


def carries_mark(pid: int) -> bool:
    try:
        return PROCESS_MARK in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def still_ours(pid: int, recorded_start_time: int | None) -> bool:
    """`pid` runs and is the process that was recorded (never a recycled PID)."""
    if pid <= 0 or not running(pid):
        return False
    if recorded_start_time is not None:
        return start_time(pid) == recorded_start_time
    return carries_mark(pid)
