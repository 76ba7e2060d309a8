"""Small helpers for benchmark topologies built from Linux network namespaces.

`sh` runs a command (optionally inside a namespace) and returns its stdout, `succeeds` says
whether one exits 0; `Namespaces`
creates uniquely prefixed namespaces and deletes them; `stop_process` ends a process by PID;
`run_child` runs a child process to completion under a deadline (killed by PID after it);
`wait_for_ping` waits until a path carries ICMP; `generator_cpu`/`datapath_cpus` split the
machine's CPUs between the traffic generator and the datapath under test.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Sequence


class BenchError(RuntimeError):
    """A benchmark topology could not be built or measured."""


def sh(args: Sequence[str], ns: str | None = None, *, check: bool = True,
       timeout: float = 30.0, env: dict[str, str] | None = None) -> str:
    """Run `args` (inside namespace `ns` when given); return stdout, raise BenchError on
    failure when `check`."""
    cmd = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env} if env else None)
    if check and proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                         f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def succeeds(args: Sequence[str], ns: str | None = None, timeout: float = 30.0) -> bool:
    """Run `args` (inside `ns` when given); True when it exits 0."""
    cmd = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    return subprocess.run(cmd, capture_output=True, timeout=timeout).returncode == 0


def unique_prefix(kind: str) -> str:
    """A short prefix unlikely to collide with concurrent runs, e.g. 'snb-k-3fa9c1'."""
    return f"snb-{kind}-{secrets.token_hex(3)}"


class Namespaces:
    """Namespaces named `<prefix>-<role>`; `delete_all` removes every one created."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.created: list[str] = []

    def add(self, role: str) -> str:
        name = f"{self.prefix}-{role}"
        sh(["ip", "netns", "add", name])
        self.created.append(name)
        sh(["ip", "link", "set", "lo", "up"], name)
        # No IPv6: router solicitations and MLD reports would only add noise to the counters.
        sh(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1"], name)
        return name

    def delete_all(self) -> None:
        for name in reversed(self.created):
            sh(["ip", "netns", "delete", name], check=False)
        self.created.clear()


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie awaiting its parent counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def stop_process(proc: subprocess.Popen[str] | subprocess.Popen[bytes],
                 grace: float = 3.0) -> None:
    """SIGTERM the process by PID, SIGKILL it after `grace` seconds, and reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)


def wait_for_ping(client_ns: str, dst_ip: str, timeout: float = 15.0) -> None:
    """Retry a single ping until it is answered (first packets resolve neighbours and, in
    OVS, install flows); raise BenchError if the path stays dead for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if succeeds(["ping", "-c", "1", "-W", "1", dst_ip], client_ns):
            return
        time.sleep(0.1)
    raise BenchError(f"{dst_ip} does not answer ping from {client_ns} after {timeout:.0f} s")


def wait_listening(ns: str, port: int, deadline: float,
                   server: subprocess.Popen[str] | subprocess.Popen[bytes] | None = None
                   ) -> bool:
    """Until a TCP socket in `ns` listens on `port`; False once `deadline` (monotonic)
    passed or `server` exited first."""
    while f":{port} " not in sh(["ss", "-Hltn"], ns):
        if (server is not None and server.poll() is not None) or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def generator_cpu() -> int:
    """The CPU the traffic generator is pinned to: the first one this process may use."""
    return min(os.sched_getaffinity(0))


def datapath_cpus() -> list[int]:
    """CPUs left to a userspace datapath under test: all but the generator's, if any."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[1:] or cpus


def run_child(argv: Sequence[str], timeout_s: float | None, what: str,
              env: dict[str, str] | None = None) -> str:
    """Run `argv` to completion and return its stdout; a child still running after
    `timeout_s` (None: no deadline) is killed by PID. BenchError names `what` when the
    child overran or failed (with the end of its stderr)."""
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"{what} did not finish in {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        raise BenchError(f"{what} failed ({proc.returncode}): {err.strip()[-400:]}")
    return out
