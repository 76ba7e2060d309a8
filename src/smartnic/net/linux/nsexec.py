"""Running things inside a network namespace: processes, sysctls, nftables rules.

* `exec_in(netns, argv, **popen_kwargs)` → Popen of `ip netns exec <netns> argv…` (which
  also gives the process the namespace's /sys and /etc/netns view, as users expect);
* `run_in(netns, argv, timeout)` → CompletedProcess, text output captured;
* `write_sysctls(netns, items)`: pyroute2 has no sysctl API, and /proc/sys/net shows the
  namespace of the *thread* that opens it, so a short-lived thread enters the namespace
  (setns affects only the calling thread) and writes there;
* `disable_tx_offloads(netns, ifname)`: checksums and segmentation done by the stack, for
  links whose far end an engine reads (pyroute2's ethtool, in a thread in the namespace);
* `load_nft(netns, ruleset)`: pyroute2's nftables support has no ruleset compiler, so
  rules go through the `nft` command.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from pyroute2 import netns as pyroute2_netns
from pyroute2.ethtool import Ethtool

from smartnic.net.linux.layout import Sysctl

DEFAULT_TIMEOUT_S = 10.0
TX_OFFLOADS = (
    "tx-checksum-ip-generic", "tx-checksum-ipv4", "tx-checksum-ipv6", "tx-checksum-sctp",
    "tx-generic-segmentation", "tx-tcp-segmentation", "tx-tcp6-segmentation",
    "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation", "tx-tcp-accecn-segmentation",
    "tx-udp-segmentation",
)


def _argv(netns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def exec_in(netns: str, argv: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[Any]:
    return subprocess.Popen(_argv(netns, argv), **popen_kwargs)


def run_in(netns: str, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT_S, *,
           input_text: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_argv(netns, argv), input=input_text, capture_output=True,
                          text=True, timeout=timeout, check=check)


def list_namespaces() -> list[str]:
    return sorted(pyroute2_netns.listnetns())


def write_sysctls(netns: str, items: Iterable[Sysctl]) -> None:
    """Write (path under /proc/sys, value) pairs inside `netns`."""
    pending = list(items)
    if not pending:
        return

    def write() -> None:
        for key, value in pending:
            Path("/proc/sys", key).write_text(value)

    _in_namespace(netns, write)


def disable_tx_offloads(netns: str, ifname: str) -> None:
    """Checksums computed and segments cut by the stack itself on `ifname` (inside `netns`).

    A userspace data plane reading the far end of a veth would otherwise see partial
    checksums (CHECKSUM_PARTIAL) and TSO/GSO frames larger than the MTU.
    """
    _in_namespace(netns, lambda: _features_off(ifname, TX_OFFLOADS))


def _features_off(ifname: str, names: Iterable[str]) -> None:
    with closing(Ethtool()) as ethtool:
        features = ethtool.get_features(ifname)
        for name in names:
            if name in features.features:
                features.features[name].enable = False
        ethtool.set_features(ifname, features)


def _in_namespace(netns: str, action: Callable[[], None]) -> None:
    """Run `action` in a thread that entered `netns` (setns affects only that thread)."""
    errors: list[BaseException] = []

    def enter_and_run() -> None:
        try:
            pyroute2_netns.setns(netns, flags=0)
            action()
        except BaseException as error:  # reported to the caller's thread below
            errors.append(error)

    worker = threading.Thread(target=enter_and_run, name=f"in-{netns}")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def load_nft(netns: str, ruleset: str) -> None:
    result = run_in(netns, ["nft", "-f", "-"], input_text=ruleset)
    if result.returncode != 0:
        raise RuntimeError(f"nft in {netns} failed: {result.stderr.strip()}")


def overlay_ingress_drop_ruleset(device: str, udp_ports: Iterable[int]) -> str:
    """Drop VXLAN/Geneve datagrams arriving on `device` after packet taps saw them.

    For an engine reading the underlay with AF_PACKET: the namespace's stack would
    otherwise answer each datagram with ICMP port-unreachable (no socket is bound).
    """
    ports = ", ".join(str(p) for p in udp_ports)
    return (f"table netdev smartnic_underlay {{\n  chain ingress {{\n"
            f'    type filter hook ingress device "{device}" priority 0; policy accept;\n'
            f"    udp dport {{ {ports} }} drop\n  }}\n}}\n")


def ingress_drop_ruleset(devices: Iterable[str]) -> str:
    """A netdev table dropping every frame arriving on `devices` after packet taps saw it.

    AF_PACKET readers (the engines) are served before the ingress hook, so they keep their
    frames while the namespace's own stack never sees them.
    """
    chains = "".join(
        f"  chain ingress_{dev} {{\n"
        f'    type filter hook ingress device "{dev}" priority 0; policy drop;\n'
        "  }\n"
        for dev in devices
    )
    return f"table netdev smartnic_topology {{\n{chains}}}\n"
