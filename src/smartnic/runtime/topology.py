"""A topology as the lifecycle commands name it: prefix, state directory and its files.

`<state root>/<prefix>/`: `state.json` (net/linux/state.py), `config.yaml` (the copy
engines read), `engine-<id>.json` (specs), `<id>.sock` (control sockets), `<id>.log`,
`supervisor.json` (the supervisor's report) and `supervisor.log`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartnic.model import ConfigError, load_config_file
from smartnic.net.linux import (
    TopologyPlan,
    check_prefix,
    default_state_path,
    list_namespaces,
    plan,
    read_state,
)
from smartnic.net.linux.names import STATE_FILE_NAME, state_root

CONFIG_COPY = "config.yaml"
LOG_TAIL_BYTES = 4096


class NoSuchTopology(LookupError):
    """Nothing of a topology by that name exists on this machine."""


class BrokenTopology(RuntimeError):
    """A topology whose state or config copy cannot be read (`up` died, files removed)."""


@dataclass(frozen=True)
class Topology:
    prefix: str
    state_path: Path

    @property
    def directory(self) -> Path:
        return self.state_path.parent

    @property
    def config_copy(self) -> Path:
        return self.directory / CONFIG_COPY

    def spec_path(self, engine: str) -> Path:
        return self.directory / f"engine-{engine}.json"

    def log_path(self, process: str) -> Path:
        return self.directory / f"{process}.log"

    def plan(self) -> TopologyPlan:
        """The layout `up` built, from the config copy; BrokenTopology when unreadable."""
        try:
            config = load_config_file(self.config_copy)
        except ConfigError as error:
            raise self.broken(f"its config copy cannot be read: {error}") from None
        return plan(config, self.prefix, config_path=str(self.config_copy))

    def state(self) -> dict[str, Any]:
        """The state file's content ({} when there is none); BrokenTopology when unreadable."""
        try:
            return read_state(self.state_path) or {}
        except (OSError, ValueError) as error:
            raise self.broken(f"its state file cannot be read: {error}") from None

    def broken(self, reason: str) -> BrokenTopology:
        return BrokenTopology(f"topology {self.prefix!r} is incomplete or damaged ({reason}); "
                              f"`smartnic down --name {self.prefix}` removes what is left")

    def exists(self) -> bool:
        """Anything of it on the machine: its state, its directory or a namespace."""
        return (self.state_path.exists() or self.directory.exists()
                or any(ns.startswith(f"{self.prefix}-") for ns in list_namespaces()))

    def require(self) -> Topology:
        if not self.exists():
            raise NoSuchTopology(f"no topology named {self.prefix!r} is up")
        return self


def topology(prefix: str, root: Path | None = None) -> Topology:
    """ValueError when `prefix` is not a valid topology name (names.check_prefix)."""
    return Topology(prefix, default_state_path(prefix, root))


def known_topologies(root: Path | None = None) -> list[Topology]:
    base = state_root(root)
    if not base.is_dir():
        return []
    return [topology(d.name, root) for d in sorted(base.iterdir())
            if (d / STATE_FILE_NAME).exists() and _valid_name(d.name)]


def _valid_name(name: str) -> bool:
    try:
        check_prefix(name)
    except ValueError:
        return False
    return True


def last_log_line(path: Path) -> str:
    """The last non-empty line of a log (a traceback's last line names the error)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, 2) - LOG_TAIL_BYTES))
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        return f"no log at {path}"
    found = [line.strip() for line in lines if line.strip()]
    return found[-1] if found else f"{path} is empty"
