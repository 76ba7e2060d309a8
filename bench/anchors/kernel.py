"""Kernel anchor: two hosts joined by kernel VXLAN, each filtering its VM's traffic with an
nftables conntrack policy — the Linux kernel datapath smartnic is compared against.

Topology (every name carries a unique prefix; `KernelAnchor()` yields an `AnchorTopology`):

    client-vm eth0 10.0.1.10/24 --veth-- host1 [route, nft, vx0] ==ul0 veth== host2 [...]
    host2 vm 10.0.2.1/24 --veth-- server-vm eth0 10.0.2.10/24

- Underlay: a veth pair between the host namespaces, 172.31.255.1/30 and .2/30, jumbo
  (`UNDERLAY_MTU`, 9216, as `smartnic up` builds it).
- Overlay: per host a `vxlan` device vx0 (VNI 1001, dstport 4789, point-to-point `remote`,
  no learning), MTU 9001 (the VPC's): VM frames plus 50 bytes of encapsulation fit.
- VMs: eth0 with MTU 9001 and a default route to the host, which owns the gateway address;
  the VMs' segmentation and checksum offloads stay on (the kernel datapath carries TCP
  super-frames through VXLAN as GSO), unless `KernelAnchor(offloads=False)`.

Routed, not bridged: each host forwards VM traffic at L3 (the VPC router model: the VM's
gateway is the host) and routes the other VM's subnet into vx0. The filter then sits in the
native `inet` forward hook with conntrack, as a host-routed cloud data plane does it; a
bridged design would need br_netfilter, a module that changes bridge filtering for every
namespace on the machine, and its fake-routing detour. The per-packet work is comparable:
veth, forwarding lookup, conntrack, VXLAN encapsulation, underlay veth, and the reverse.
A veth hands each frame to the receiving side on the sending CPU, so the whole path runs in
the generator's own send call: the sender is slowed to what the path carries (offered ≈
delivered). Steering it to another CPU with RPS was measured and carried less.

Policy (security-group-like, applied by both hosts in chain `forward` of `inet` table
`sg`): established/related accepted, invalid dropped, anything the local VM sends accepted
(allow-all egress), new connections to a VM accepted only for UDP `ALLOWED_UDP_PORT`, TCP
`ALLOWED_TCP_PORT` and ICMP echo; everything else dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.anchors.topology import (
    ALLOWED_TCP_PORT,
    ALLOWED_UDP_PORT,
    UNDERLAY_MTU,
    VPC_MTU,
    AnchorTopology,
    host_veth_pair,
)
from bench.netns import Namespaces, sh, unique_prefix, wait_for_ping
from smartnic.net.linux.nsexec import disable_tx_offloads

UNDERLAY = ("172.31.255.1", "172.31.255.2")
VM_NET = ("10.0.1", "10.0.2")  # host i owns <net>.1, its VM is <net>.10
VNI, VXLAN_PORT = 1001, 4789

POLICY = f"""
table inet sg {{
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "vm" accept
    oifname "vm" udp dport {ALLOWED_UDP_PORT} accept
    oifname "vm" tcp dport {ALLOWED_TCP_PORT} accept
    oifname "vm" icmp type echo-request accept
  }}
}}
"""


def _build_host(host: str, vm: str, i: int) -> None:
    """Host `i` (0 or 1): vx0 to the other host, the VM's veth and gateway, routes, policy."""
    other = 1 - i
    sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"], host)
    sh(["ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "dstport", str(VXLAN_PORT),
        "local", UNDERLAY[i], "remote", UNDERLAY[other], "dev", "ul0", "nolearning"], host)
    sh(["ip", "link", "set", "vx0", "mtu", str(VPC_MTU), "up"], host)
    sh(["ip", "addr", "add", f"192.168.255.{i + 1}/30", "dev", "vx0"], host)
    host_veth_pair(host, vm, VPC_MTU)
    sh(["ip", "addr", "add", f"{VM_NET[i]}.1/24", "dev", "vm"], host)
    sh(["ip", "addr", "add", f"{VM_NET[i]}.10/24", "dev", "eth0"], vm)
    sh(["ip", "route", "add", "default", "via", f"{VM_NET[i]}.1"], vm)
    sh(["ip", "route", "add", f"{VM_NET[other]}.0/24", "via", f"192.168.255.{other + 1}",
        "dev", "vx0"], host)
    sh(["nft", POLICY], host)


@contextmanager
def KernelAnchor(offloads: bool = True) -> Iterator[AnchorTopology]:  # noqa: N802
    """Build the kernel topology, yield it, and remove every namespace even on failure.
    `offloads=False`: the VMs cut their own segments and checksums, as smartnic's do."""
    spaces = Namespaces(unique_prefix("k"))
    try:
        hosts = [spaces.add("h1"), spaces.add("h2")]
        vms = [spaces.add("vm1"), spaces.add("vm2")]
        sh(["ip", "link", "add", "ul0", "netns", hosts[0], "mtu", str(UNDERLAY_MTU), "type",
            "veth", "peer", "ul0", "netns", hosts[1], "mtu", str(UNDERLAY_MTU)])
        for i, host in enumerate(hosts):
            sh(["ip", "addr", "add", f"{UNDERLAY[i]}/30", "dev", "ul0"], host)
            sh(["ip", "link", "set", "ul0", "up"], host)
        for i in range(2):
            _build_host(hosts[i], vms[i], i)
            if not offloads:
                disable_tx_offloads(vms[i], "eth0")
        name = "kernel" if offloads else "kernel-no-offload"
        topo = AnchorTopology(name=name, client_ns=vms[0], server_ns=vms[1],
                              server_ip=f"{VM_NET[1]}.10", namespaces=list(spaces.created))
        wait_for_ping(topo.client_ns, topo.server_ip)
        yield topo
    finally:
        spaces.delete_all()
