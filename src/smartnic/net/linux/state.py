"""The state file of a built topology: what exists, so that teardown can remove it.

JSON: `prefix`, `config_path`, `created_at` (ISO 8601 UTC), `namespaces` (names), `links`
(`{"netns", "name"}`), `processes` (`{"role", "pid"}`, and `start_time` and `kind` for
processes started by `up` and the supervisor: smartnic/process_records.py), `complete`
(the build finished). Each object is recorded *before* it is created (a process: after
fork, before it may run anything, see runtime/spawn.py) and every update is an atomic
rename under a lock, so a build or a supervisor that dies half-way leaves a record of
everything it may have made.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartnic.process_records import ENGINE_KIND

State = dict[str, Any]
LOCK_SUFFIX = ".lock"


class TopologyExists(RuntimeError):
    """A topology with this prefix is already recorded or its namespaces already exist."""


def read_state(path: str | Path) -> State | None:
    try:
        return dict(json.loads(Path(path).read_text()))
    except FileNotFoundError:
        return None


def create_state(path: str | Path, prefix: str, config_path: str | None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state: State = {
        "prefix": prefix, "config_path": config_path,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "namespaces": [], "links": [], "processes": [], "complete": False,
    }
    with _locked(path):
        if path.exists():
            raise TopologyExists(f"topology {prefix!r} is already recorded in {path}; "
                                 "tear it down first")
        _write(path, state)


def record_namespace(path: str | Path, name: str) -> None:
    _update(path, lambda state: state["namespaces"].append(name))


def record_link(path: str | Path, netns: str, name: str) -> None:
    _update(path, lambda state: state["links"].append({"netns": netns, "name": name}))


def record_process(state_path: str | Path, role: str, pid: int, start_time: int | None = None,
                   kind: str = ENGINE_KIND) -> None:
    """Add a process, so that teardown stops it (only while PID and start time still match)."""
    record: dict[str, Any] = {"role": role, "pid": pid}
    if start_time is not None:
        record |= {"start_time": start_time, "kind": kind}
    _update(state_path, lambda state: state["processes"].append(record))


def forget_process(state_path: str | Path, pid: int) -> None:
    """Drop a process its parent has reaped: it cannot run any more, and its PID may be reused."""
    def drop(state: State) -> None:
        state["processes"] = [p for p in state["processes"] if p["pid"] != pid]

    _update(state_path, drop)


def mark_complete(path: str | Path) -> None:
    _update(path, lambda state: state.update(complete=True))


def remove_state(path: str | Path, prefix: str | None) -> list[str]:
    """Delete the state file and its lock; and its directory, when that is named after the
    prefix (the `<root>/<prefix>/state.json` layout) and left empty."""
    path = Path(path)
    removed = []
    for file in (path, _lock_path(path)):
        try:
            file.unlink()
            if file == path:
                removed.append(f"state:{path}")
        except FileNotFoundError:
            pass
    if prefix is not None and path.parent.name == prefix:
        try:
            path.parent.rmdir()
        except OSError:
            pass  # not empty, or already gone: leave it
    return removed


def _update(path: str | Path, change: Callable[[State], Any]) -> None:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no topology state at {path}")
    with _locked(path):
        state = read_state(path)
        if state is None:
            raise FileNotFoundError(f"no topology state at {path}")
        change(state)
        _write(path, state)


def _write(path: Path, state: State) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(state, indent=1) + "\n")
    os.replace(temporary, path)


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + LOCK_SUFFIX)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialize updates by several processes (a runner recording engine PIDs, say)."""
    with open(_lock_path(path), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
