"""Fixtures for root-only tests on real Linux network namespaces, veths and processes.

Everything a test creates is named uniquely (pid + random suffix) and removed by a
finalizer even when the test fails; processes are ended by the PID we started, never
by name.

Fixtures:
  netns_ready    skips the test ("needs root and Linux network namespaces") unless we are
                 root and `ip netns` works. Every other fixture here depends on it; at
                 teardown it fails the test if a namespace of this process is left.
  make_netns     `make_netns() -> str`: a new namespace with lo up and IPv6 off (so no
                 router solicitations or MLD reports appear on its links).
  make_veth      `make_veth(ns_a, ns_b, mtu=1500, up=True) -> (if_a, if_b)`: a veth pair
                 with one end in each namespace (names ≤ 15 characters).
  open_in_netns  `open_in_netns(ns, factory) -> thing`: calls `factory()` with this thread
                 inside `ns` (a socket or port opened there stays there) and `close()`s the
                 thing at teardown.
  spawn          `spawn(argv, ns=None, **popen_kwargs) -> Popen`: a process, optionally
                 inside a namespace (`ip netns exec`); killed by PID at teardown.
  in_netns       `in_netns(ns, fn, *args) -> NetnsJob`: runs `fn(*args)` in a forked child
                 that first enters `ns` (runs concurrently with the test). `job.result(
                 timeout_s=20)` returns what `fn` returned (picklable) or raises with the
                 child's traceback. Children still alive at teardown are killed by PID.
  netns_tools    an object with two helpers (test modules cannot import this conftest):
                 `inside(ns)`: context manager; this thread enters `ns` and comes back.
                 Sockets opened inside stay in `ns`, so one test process can hold ports in
                 two namespaces. `ip(*args, ns=None)`: runs `ip …` (in `ns`), raising with
                 its stderr on failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import secrets
import shutil
import subprocess
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def ip(*args: str, ns: str | None = None) -> str:
    argv = ["ip", *(("-n", ns) if ns else ()), *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def inside(ns: str) -> Iterator[None]:
    """Enter namespace `ns` for this thread, and return to the original one after."""
    saved = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(f"/var/run/netns/{ns}")
        yield
    finally:
        try:
            if _libc.setns(saved, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original namespace")
        finally:
            os.close(saved)


def _prefix(kind: str) -> str:
    return f"{kind}{os.getpid() % 100000}-"


def _unique(kind: str) -> str:
    return f"{_prefix(kind)}{secrets.token_hex(2)}"


def _netns_usable() -> str | None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return "not root or no iproute2"
    probe = _unique("snprobe")
    try:
        ip("netns", "add", probe)
        ip("netns", "del", probe)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def _netns_check() -> str | None:
    return _netns_usable()


@pytest.fixture
def netns_ready(_netns_check: str | None) -> Iterator[None]:
    if _netns_check is not None:
        pytest.skip(f"needs root and Linux network namespaces ({_netns_check})")
    yield
    # Torn down after every fixture that depends on it: nothing of ours may remain.
    leftover = [line.split()[0] for line in ip("netns", "list").splitlines()
                if line.startswith(_prefix("sn-t"))]
    assert not leftover, f"namespaces left behind: {leftover}"


@pytest.fixture
def netns_tools(netns_ready: None) -> types.SimpleNamespace:
    return types.SimpleNamespace(inside=inside, ip=ip)


@pytest.fixture
def make_netns(netns_ready: None) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = _unique("sn-t")
        ip("netns", "add", name)
        made.append(name)
        for key in ("all", "default"):
            subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw",
                            f"net.ipv6.conf.{key}.disable_ipv6=1"], check=True, timeout=10)
        ip("link", "set", "lo", "up", ns=name)
        return name

    yield make
    for name in reversed(made):
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            ip("netns", "del", name)


@pytest.fixture
def make_veth(netns_ready: None) -> Iterator[Callable[..., tuple[str, str]]]:
    made: list[tuple[str, str]] = []

    def make(ns_a: str, ns_b: str, mtu: int = 1500, up: bool = True) -> tuple[str, str]:
        stem = _unique("v")  # ≤ 12 characters, + "a"/"b"
        if_a, if_b = f"{stem}a", f"{stem}b"
        ip("link", "add", if_a, "netns", ns_a, "mtu", str(mtu), "type", "veth",
           "peer", "name", if_b, "netns", ns_b, "mtu", str(mtu))
        made.append((ns_a, if_a))
        if up:
            ip("link", "set", if_a, "up", ns=ns_a)
            ip("link", "set", if_b, "up", ns=ns_b)
        return if_a, if_b

    yield make
    for ns, name in made:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            ip("link", "del", name, ns=ns)  # takes the peer with it


@pytest.fixture
def open_in_netns(netns_ready: None) -> Iterator[Callable[[str, Callable[[], Any]], Any]]:
    opened: list[Any] = []

    def open_in(ns: str, factory: Callable[[], Any]) -> Any:
        with inside(ns):
            thing = factory()
        opened.append(thing)
        return thing

    yield open_in
    for thing in reversed(opened):
        thing.close()


@pytest.fixture
def spawn(netns_ready: None) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str], ns: str | None = None, **kwargs: Any) -> subprocess.Popen[bytes]:
        prefix = ["ip", "netns", "exec", ns] if ns else []
        process = subprocess.Popen([*prefix, *argv], **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()  # by PID: only what this test started
        process.wait(timeout=10)


def _child(ns: str, fn: Callable[..., Any], args: tuple[Any, ...], conn: Any) -> None:
    try:
        _setns(f"/var/run/netns/{ns}")
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # reported to the parent, which re-raises
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


class NetnsJob:
    """A forked child running `fn(*args)` inside a namespace; `result()` waits for it."""

    def __init__(self, ns: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        context = multiprocessing.get_context("fork")
        self.ns = ns
        self.name = getattr(fn, "__name__", repr(fn))
        self._conn, child_conn = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(ns, fn, args, child_conn),
                                       daemon=True)
        self.process.start()
        child_conn.close()

    def result(self, timeout_s: float = 20) -> Any:
        if not self._conn.poll(timeout_s):
            raise TimeoutError(f"{self.name} in {self.ns}: no result after {timeout_s} s")
        status, value = self._conn.recv()
        self.process.join(timeout=10)
        if status == "error":
            raise AssertionError(f"{self.name} in namespace {self.ns}: {value}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()  # by PID: only the child this job forked
        self.process.join(timeout=10)
        self._conn.close()


@pytest.fixture
def in_netns(netns_ready: None) -> Iterator[Callable[..., NetnsJob]]:
    jobs: list[NetnsJob] = []

    def start(ns: str, fn: Callable[..., Any], *args: Any) -> NetnsJob:
        job = NetnsJob(ns, fn, args)
        jobs.append(job)
        return job

    yield start
    for job in jobs:
        job.stop()
