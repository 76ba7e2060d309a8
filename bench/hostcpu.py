"""Host CPU a datapath spends over a window: `CpuWindow(pids)` snapshots at entry and exit.

What counts (CPU-seconds): the user time of the datapath's own processes (every thread of
the engines, or ovs-vswitchd and ovsdb-server; none for the kernel datapath), plus the
machine's system, IRQ and softirq time from /proc/stat. Kernel time is taken machine-wide
because that is where the kernel datapath runs (softirq on whichever CPU sends) and where
every datapath's veth, VXLAN socket and ring work lands; the processes' own system time is
part of it, so it is not added again. It also holds the VMs' TCP stacks and whatever else
the machine's kernel did in the window — the same for every datapath on a quiet machine.

`parse_proc_stat(text)` and `parse_pid_stat(text)` read the two formats (clock ticks).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# /proc/stat "cpu" columns: user nice system idle iowait irq softirq steal ...
KERNEL_COLUMNS = (2, 5, 6)  # system, irq, softirq


def parse_proc_stat(text: str) -> int:
    """System + IRQ + softirq ticks of all CPUs, from /proc/stat's aggregate line."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            return sum(int(fields[1 + column]) for column in KERNEL_COLUMNS)
    raise ValueError("no aggregate 'cpu' line in /proc/stat")


def parse_pid_stat(text: str) -> int:
    """User ticks (utime, field 14) of a process, all its threads included."""
    after_name = text.rsplit(")", 1)[1].split()  # the name may hold spaces and parentheses
    return int(after_name[11])


def _kernel_ticks() -> int:
    return parse_proc_stat(Path("/proc/stat").read_text())


def _user_ticks(pids: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        try:
            ticks[pid] = parse_pid_stat(Path(f"/proc/{pid}/stat").read_text())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended: its time is gone with it (the caller sees the shortfall)
    return ticks


class CpuWindow:
    """`with CpuWindow(pids) as window: ...`; then `window.result()`."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = list(pids)

    def __enter__(self) -> CpuWindow:
        self._user = _user_ticks(self.pids)
        self._kernel = _kernel_ticks()
        self._start = time.monotonic()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.wall_s = time.monotonic() - self._start
        kernel = _kernel_ticks() - self._kernel
        user_after = _user_ticks(self.pids)
        user = sum(user_after[pid] - before for pid, before in self._user.items()
                   if pid in user_after)
        self.user_s, self.kernel_s = user / TICKS_PER_S, kernel / TICKS_PER_S

    def result(self) -> dict[str, float]:
        """CPU-seconds of the window: datapath user, machine kernel, their sum, and wall."""
        return {"datapath_user_cpu_s": self.user_s, "kernel_cpu_s": self.kernel_s,
                "cpu_s": self.user_s + self.kernel_s, "wall_s": self.wall_s}
