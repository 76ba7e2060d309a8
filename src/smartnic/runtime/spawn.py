"""Start a process that is recorded in the topology's state file before it runs anything.

`spawn_recorded(state_path, role, argv, log_path, kind)` forks; the child waits on a pipe
while the parent writes the child's PID and start time into the state file, and only then
becomes `argv` (exec keeps the PID: `ip netns exec` execs the engine in turn). When the
record cannot be written, or the parent dies before writing it, the pipe closes without
the go byte and the child exits having run nothing. So every process of a topology can
be found by `down`, even when `up` or the supervisor crashes half-way through a start.

The child leaves the parent's session (no terminal signal reaches it), reads /dev/null
and appends its output to `log_path`.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from smartnic.net.linux.state import record_process
from smartnic.process_records import start_time

GO = b"g"
NOT_STARTED_EXIT = 127
_CHILD_DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


@dataclass(frozen=True)
class Spawned:
    pid: int
    start_time: int


def spawn_recorded(state_path: Path, role: str, argv: Sequence[str], log_path: Path,
                   kind: str = "engine") -> Spawned:
    gate_read, gate_write = os.pipe()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
        if pid == 0:
            _child(gate_read, gate_write, log_fd, list(argv))
        os.close(gate_read)
        try:
            started = start_time(pid)
            if started is None:
                raise ChildProcessError(f"{role}: process {pid} vanished before it started")
            record_process(state_path, role, pid, started, kind)
        except BaseException:
            os.close(gate_write)  # no go byte: the child exits without running anything
            os.waitpid(pid, 0)
            raise
        os.write(gate_write, GO)
        os.close(gate_write)
        return Spawned(pid, started)
    finally:
        os.close(log_fd)


def _child(gate_read: int, gate_write: int, log_fd: int, argv: list[str]) -> NoReturn:
    """In the forked child: wait for the go byte, then exec. Never returns."""
    try:
        os.close(gate_write)
        _default_signals()
        os.setsid()
        if os.read(gate_read, 1) == GO:
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.execvp(argv[0], argv)
    except BaseException as error:  # nothing may escape into the parent's code
        try:
            os.write(log_fd, f"cannot start {argv[0]}: {error}\n".encode())
        except OSError:
            pass
    os._exit(NOT_STARTED_EXIT)


def _default_signals() -> None:
    """A SIGTERM before the exec ends the child (the parent's handlers are not its own)."""
    for number in _CHILD_DEFAULT_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
