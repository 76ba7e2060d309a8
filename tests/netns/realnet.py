"""Helpers for the real-traffic tests: a topology brought `up` for a test, and tools in VMs.

Not a conftest: test modules import it. Every topology gets a unique name and is brought
down even when the test fails; everything started in a namespace is stopped by PID.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from smartnic.net.linux import list_namespaces, run_in
from smartnic.runtime import orchestrate as orch
from smartnic.runtime.polling import EnginePlacement

ROOT_REASON = "needs root and Linux network namespaces"


def require_root() -> None:
    if os.geteuid() != 0 or subprocess.run(["ip", "netns", "list"],
                                           capture_output=True).returncode != 0:
        pytest.skip(ROOT_REASON)


def unique_name() -> str:
    return "t" + secrets.token_hex(3)


@contextlib.contextmanager
def topology_up(config: dict[str, Any], workdir: Path,
                underlay_mode: str = orch.DEFAULT_UNDERLAY,
                placement: EnginePlacement | None = None) -> Iterator[orch.Topology]:
    """`smartnic up` of `config` under a unique name, always brought down afterwards."""
    path = workdir / "cloud.yaml"
    path.write_text(yaml.safe_dump(config))
    name = unique_name()
    topo = orch.topology(name)
    try:
        orch.up(path, name, workdir / "flowlogs", underlay_mode=underlay_mode,
                placement=placement)
        yield topo
    finally:
        orch.down(topo)
        left = [ns for ns in list_namespaces() if ns.startswith(f"{name}-")]
        assert not left, f"namespaces left behind: {left}"


def vm_ns(topo: orch.Topology, eni: str) -> str:
    return topo.plan().vms[eni].netns


def sh(ns: str, *argv: str, timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
    return run_in(ns, list(argv), timeout=timeout)


def ping(ns: str, address: str, count: int = 2, *extra: str) -> bool:
    family = ["-6"] if ":" in address else []
    done = sh(ns, "ping", *family, "-c", str(count), "-W", "1", "-i", "0.2", *extra, address)
    return done.returncode == 0


@contextlib.contextmanager
def serving(ns: str, *argv: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server process in `ns` (listening on TCP before this returns), stopped by PID."""
    before = _listening(ns)
    process = subprocess.Popen(["ip", "netns", "exec", ns, *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while _listening(ns) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(ns: str) -> set[str]:
    return set(sh(ns, "ss", "-Hltn").stdout.split("\n"))


def http_get(ns: str, url: str, timeout_s: float = 4.0) -> bool:
    done = sh(ns, "curl", "-s", "-m", str(timeout_s), "-o", "/dev/null", url,
              timeout=timeout_s + 5)
    return done.returncode == 0


def iperf(ns: str, server: str, *extra: str) -> dict[str, Any]:
    done = sh(ns, "iperf3", "-c", server, "-t", "1", "-J", *extra, timeout=20)
    return dict(json.loads(done.stdout))


def eni_counters(topo: orch.Topology, eni: str) -> dict[str, int]:
    for reply in orch.counters(topo).values():
        if eni in (reply.get("enis") or {}):
            return dict(reply["enis"][eni])
    raise KeyError(eni)


class capture:
    """tcpdump on every port of a namespace into a temporary pcap, stopped by PID on exit.

    A Linux bridge device does not see the unicast frames it forwards between ports, so
    the capture listens on all interfaces (`-i any`); each frame appears once per port.
    Entering waits until tcpdump says it is listening and fails the test loudly when it
    exits or stays silent instead: a capture that never started must not pass as "nothing
    was seen".
    """

    START_TIMEOUT_S = 10.0

    def __init__(self, netns: str, bpf: str) -> None:
        self.argv = ["ip", "netns", "exec", netns, "tcpdump", "--immediate-mode", "-U", "-n",
                     "-i", "any", "-w"]
        self.bpf = bpf
        self.path = Path(f"/tmp/smartnic-capture-{time.monotonic_ns()}.pcap")
        atexit.register(self.path.unlink, missing_ok=True)  # read after the block: removed at exit

    def __enter__(self) -> Path:
        self.process = subprocess.Popen([*self.argv, str(self.path), self.bpf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.process.stderr is not None
        stderr = self.process.stderr.fileno()
        os.set_blocking(stderr, False)
        said = ""
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while "listening on" not in said:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._stop()
                pytest.fail(f"tcpdump did not start capturing: {' '.join(self.argv)}: "
                            f"{said.strip() or 'no output'}")
            said += _read_available(stderr)
            time.sleep(0.05)
        return self.path

    def __exit__(self, *_: object) -> None:
        time.sleep(0.5)  # frames still in flight reach the file
        self._stop()

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _read_available(fd: int) -> str:
    """What a non-blocking pipe holds now ("" when empty; a text stream's read() raises)."""
    try:
        return os.read(fd, 4096).decode(errors="replace")
    except BlockingIOError:
        return ""
