"""What an anchor context manager yields, and the pieces both anchors share.

`AnchorTopology` names the client and server VM namespaces, the server's address, and what
the anchor created (namespaces, process IDs, a work directory) so callers can check that
teardown removed it. `host_veth_pair` wires a VM namespace to its host namespace: `eth0` in
the VM, `vm` in the host. Every datapath runs at the VPC's MTU, as `smartnic up` builds it:
VM interfaces `VPC_MTU`, the underlay `UNDERLAY_MTU` (jumbo, so the overlay headers fit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.netns import sh
from smartnic.net.linux.planner import DEFAULT_UNDERLAY_MTU

ALLOWED_UDP_PORT = 5201  # the one UDP port the anchors' policies open to new connections
ALLOWED_TCP_PORT = 5201  # and the one TCP port (iperf3's)
VPC_MTU = 9001  # MTU-R1: jumbo frames inside a VPC
UNDERLAY_MTU = DEFAULT_UNDERLAY_MTU


@dataclass
class AnchorTopology:
    name: str
    client_ns: str
    server_ns: str
    server_ip: str
    namespaces: list[str]
    pids: list[int] = field(default_factory=list)
    workdir: Path | None = None
    prefix: str = ""  # the `smartnic up` name, for smartnic topologies


def host_veth_pair(host: str, vm: str, mtu: int) -> None:
    """A veth pair `eth0` (in `vm`) <-> `vm` (in `host`), both up with `mtu`."""
    sh(["ip", "link", "add", "eth0", "netns", vm, "type", "veth", "peer", "vm", "netns", host])
    sh(["ip", "link", "set", "vm", "mtu", str(mtu), "up"], host)
    sh(["ip", "link", "set", "eth0", "mtu", str(mtu), "up"], vm)
