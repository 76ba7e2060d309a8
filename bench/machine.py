"""What machine and code a benchmark ran on: CPU, cores, kernel, memory, versions, load.

`machine()` returns a dict: cpu_model, cores, kernel, memory_gb, python, numpy, numba,
openvswitch (or None), git commit (with "+dirty" when the tree has changes), date (UTC,
ISO 8601) and the load averages at the time of the call. `code_changes(since)` lists the
commits touching the data path since commit `since` (or the latest few), one line each.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import numba
import numpy

REPO = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _command(args: list[str]) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _git() -> str | None:
    commit = _command(["git", "rev-parse", "--short", "HEAD"])
    if commit is None:
        return None
    dirty = _command(["git", "status", "--porcelain", "--untracked-files=no"])
    return commit + ("+dirty" if dirty else "")


def machine() -> dict[str, Any]:
    ovs = _command(["ovs-vswitchd", "--version"])
    return {
        "cpu_model": _cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
        "memory_gb": round(_memory_gb(), 1), "python": platform.python_version(),
        "numpy": numpy.__version__, "numba": numba.__version__,
        "openvswitch": ovs.splitlines()[0] if ovs else None, "git": _git(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


DATA_PATH_SOURCES = ("src/smartnic/dataplane", "src/smartnic/ports", "src/smartnic/runtime",
                     "src/smartnic/packet")


def code_changes(since: str | None, limit: int = 5) -> list[str]:
    """`<hash> <subject>` of commits to the data path after `since` (or the last `limit`)."""
    base = since.removesuffix("+dirty") if since else None
    span = [f"{base}..HEAD"] if base else []
    out = _command(["git", "log", f"-{limit}", "--format=%h %s", *span, "--",
                    *DATA_PATH_SOURCES])
    return out.splitlines() if out else []
