"""Open vSwitch anchor: two hosts, each running its own ovsdb-server and ovs-vswitchd with
the userspace (netdev) datapath, joined by an OVS VXLAN tunnel, each filtering its VM's
traffic with OpenFlow conntrack rules — the policy of the kernel anchor, in OVS.

Topology (unique prefix on every namespace; `OvsAnchor()` yields an `AnchorTopology`):

    client-vm eth0 10.0.0.10/24 --veth-- host1 br-int [vm, vx0]      host2 br-int [vm, vx0]
                                          host1 br-phy [ul0] 172.31.255.1 ==ul0== .2 ...
    server-vm eth0 10.0.0.20/24 --veth-- host2

- Per host namespace: ovsdb-server + ovs-vswitchd started with `ip netns exec` (one pair
  per namespace, as OVS keeps one datapath per process), database, sockets, pidfiles and
  logs in a private temporary directory; stopped by PID on exit.
- br-int (netdev): the VM's veth `vm` and `vx0` (type vxlan, key 1001, remote_ip = the other
  host). br-phy (netdev): the underlay veth `ul0`, with the tunnel's local IP on br-phy's
  own interface, which is how OVS's userspace tunnels route and ARP.
- MTU: VM interfaces 9001 (the VPC's), the underlay veth jumbo (`UNDERLAY_MTU`); with
  AF_XDP ports 1450 and 1500, the most AF_XDP takes on a veth (`MTUS`). The VMs
  cut their own segments and checksums (TX offloads off, as `smartnic up` does): OVS's
  userspace datapath without userspace TSO (the default) would forward their partial
  checksums and super-frames as they are.
- VM ports: `port_type="system"` (netdev-linux, AF_PACKET sockets, served by the main
  thread) or `"afxdp"` (AF_XDP sockets served by PMD threads). PMD threads poll without
  stopping; on a small machine they are confined to the datapath CPUs and allowed to sleep
  up to 100 µs when idle (other_config:pmd-maxsleep) so two of them can share a core.
  ovs-vswitchd is pinned to `datapath_cpus()`, the CPUs the traffic generator leaves free.
- The VMs share one L2 segment: ARP crosses the tunnel and each bridge forwards by port
  (vm <-> vx0) rather than MAC learning.

Policy, in br-int's OpenFlow tables: table 0 sends IPv4 through conntrack (zone 1) to table
1 and ARP straight to forwarding; table 1 accepts +est/+rel, drops +inv, commits and
accepts +new from the local VM (allow-all egress) and +new to UDP `ALLOWED_UDP_PORT`, TCP
`ALLOWED_TCP_PORT` or ICMP echo; everything else is dropped. Table 2 forwards.

If OVS is missing or its daemons do not start, `OvsAnchor` raises `AnchorUnavailable`
naming the reason and the end of the daemon's log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.anchors.topology import (
    ALLOWED_TCP_PORT,
    ALLOWED_UDP_PORT,
    UNDERLAY_MTU,
    VPC_MTU,
    AnchorTopology,
    host_veth_pair,
)
from bench.netns import (
    BenchError,
    Namespaces,
    datapath_cpus,
    sh,
    stop_process,
    unique_prefix,
    wait_for_ping,
)
from smartnic.net.linux.nsexec import disable_tx_offloads

UNDERLAY = ("172.31.255.1", "172.31.255.2")
VM_IPS = ("10.0.0.10", "10.0.0.20")
VNI = 1001
SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
BINARIES = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl")
PORT_TYPES = ("system", "afxdp")
# (VM, underlay) MTU per port type. AF_XDP on a veth takes frames of up to a page, so OVS
# refuses an AF_XDP port on a jumbo veth ("Invalid argument"): that anchor stays at 1500.
MTUS = {"system": (VPC_MTU, UNDERLAY_MTU), "afxdp": (1450, 1500)}

FLOWS = f"""
table=0,priority=100,arp,actions=resubmit(,2)
table=0,priority=90,ip,actions=ct(table=1,zone=1)
table=0,priority=0,actions=drop
table=1,priority=100,ct_state=+trk+est,ip,actions=resubmit(,2)
table=1,priority=100,ct_state=+trk+rel,ip,actions=resubmit(,2)
table=1,priority=90,ct_state=+trk+inv,ip,actions=drop
table=1,priority=80,ct_state=+trk+new,ip,in_port=vm,actions=ct(commit,zone=1),resubmit(,2)
table=1,priority=70,ct_state=+trk+new,udp,tp_dst={ALLOWED_UDP_PORT},\
actions=ct(commit,zone=1),resubmit(,2)
table=1,priority=70,ct_state=+trk+new,tcp,tp_dst={ALLOWED_TCP_PORT},\
actions=ct(commit,zone=1),resubmit(,2)
table=1,priority=70,ct_state=+trk+new,icmp,icmp_type=8,actions=ct(commit,zone=1),resubmit(,2)
table=1,priority=0,actions=drop
table=2,priority=10,in_port=vm,actions=output:vx0
table=2,priority=10,in_port=vx0,actions=output:vm
"""


class AnchorUnavailable(BenchError):
    """Open vSwitch cannot run here; the message says why."""


class OvsHost:
    """One host namespace's ovsdb-server + ovs-vswitchd, with their files under `rundir`."""

    def __init__(self, ns: str, rundir: Path) -> None:
        self.ns, self.rundir = ns, rundir
        self.env = {"OVS_RUNDIR": str(rundir), "OVS_LOGDIR": str(rundir),
                    "OVS_DBDIR": str(rundir), "OVS_SYSCONFDIR": str(rundir)}
        self.procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, args: list[str], cpus: list[int] | None = None) -> subprocess.Popen[bytes]:
        pin = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *pin, *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, **self.env})
        self.procs.append(proc)
        return proc

    def _wait_for(self, path: Path, proc: subprocess.Popen[bytes], log: str) -> None:
        deadline = time.monotonic() + 15.0
        while not path.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AnchorUnavailable(f"{log} did not start in {self.ns}: {self.log_tail(log)}")
            time.sleep(0.05)

    def log_tail(self, name: str, lines: int = 5) -> str:
        log = self.rundir / f"{name}.log"
        return " | ".join(log.read_text().splitlines()[-lines:]) if log.exists() else "no log"

    def start(self, cpus: list[int] | None) -> None:
        """Create the database and start both daemons (ovs-vswitchd pinned to `cpus`)."""
        d = self.rundir
        sh(["ovsdb-tool", "create", str(d / "conf.db"), str(SCHEMA)])
        db = self._spawn(["ovsdb-server", str(d / "conf.db"), f"--remote=punix:{d}/db.sock",
                          f"--pidfile={d}/ovsdb-server.pid", f"--unixctl={d}/ovsdb-server.ctl",
                          f"--log-file={d}/ovsdb-server.log"])
        self._wait_for(d / "db.sock", db, "ovsdb-server")
        self.vsctl("--no-wait", "init")
        vswitchd = self._spawn(["ovs-vswitchd", f"unix:{d}/db.sock",
                                f"--pidfile={d}/ovs-vswitchd.pid",
                                f"--unixctl={d}/ovs-vswitchd.ctl",
                                f"--log-file={d}/ovs-vswitchd.log"], cpus)
        self._wait_for(d / "ovs-vswitchd.pid", vswitchd, "ovs-vswitchd")

    def vsctl(self, *args: str) -> str:
        try:
            return sh(["ovs-vsctl", f"--db=unix:{self.rundir}/db.sock", "--timeout=20", *args],
                      env=self.env)
        except BenchError as exc:
            tail = self.log_tail("ovs-vswitchd")
            raise AnchorUnavailable(f"{exc}; ovs-vswitchd log: {tail}") from exc

    def ofctl(self, *args: str) -> str:
        return sh(["ovs-ofctl", *args], env=self.env)

    def stop(self) -> None:
        """Stop ovs-vswitchd, then ovsdb-server, each by its PID."""
        for proc in reversed(self.procs):
            stop_process(proc)


def _check_installed() -> None:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing or not SCHEMA.exists():
        raise AnchorUnavailable(f"Open vSwitch is not installed (missing: "
                                f"{', '.join(missing) or SCHEMA}); apt-get install "
                                "openvswitch-switch")


def _configure(host: OvsHost, i: int, port_type: str) -> None:
    """Bridges, ports, underlay address and flows of host `i` (0 or 1)."""
    netdev = ["--", "set", "bridge"]
    host.vsctl("add-br", "br-phy", *netdev, "br-phy", "datapath_type=netdev",
               "--", "add-port", "br-phy", "ul0")
    sh(["ip", "addr", "add", f"{UNDERLAY[i]}/30", "dev", "br-phy"], host.ns)
    sh(["ip", "link", "set", "br-phy", "up"], host.ns)
    host.vsctl("add-br", "br-int", *netdev, "br-int", "datapath_type=netdev",
               "--", "add-port", "br-int", "vm",
               "--", "add-port", "br-int", "vx0", "--", "set", "interface", "vx0",
               "type=vxlan", f"options:remote_ip={UNDERLAY[1 - i]}", f"options:key={VNI}")
    if port_type == "afxdp":
        mask = hex(sum(1 << c for c in datapath_cpus()))
        host.vsctl("set", "Open_vSwitch", ".", f"other_config:pmd-cpu-mask={mask}",
                   "other_config:pmd-maxsleep=100")
        for port in ("vm", "ul0"):
            host.vsctl("set", "interface", port, "type=afxdp", "options:xdp-mode=best-effort")
            error = host.vsctl("get", "interface", port, "error").strip()
            if error not in ("[]", ""):
                raise AnchorUnavailable(f"AF_XDP port {port} in {host.ns}: {error}")
    flows = host.rundir / "flows.txt"
    flows.write_text(FLOWS)
    host.ofctl("del-flows", "br-int")
    host.ofctl("add-flows", "br-int", str(flows))


@contextmanager
def OvsAnchor(port_type: str = "system") -> Iterator[AnchorTopology]:  # noqa: N802
    """Build the OVS topology, yield it; stop every daemon by PID and remove every namespace
    and file even on failure. Raises AnchorUnavailable if OVS cannot run here."""
    if port_type not in PORT_TYPES:
        raise ValueError(f"port_type must be one of {PORT_TYPES}, not {port_type!r}")
    _check_installed()
    prefix = unique_prefix("o")
    spaces, workdir = Namespaces(prefix), Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    ovs_hosts: list[OvsHost] = []
    try:
        hosts = [spaces.add("h1"), spaces.add("h2")]
        vms = [spaces.add("vm1"), spaces.add("vm2")]
        vm_mtu, underlay_mtu = MTUS[port_type]
        sh(["ip", "link", "add", "ul0", "netns", hosts[0], "mtu", str(underlay_mtu), "type",
            "veth", "peer", "ul0", "netns", hosts[1], "mtu", str(underlay_mtu)])
        for i in range(2):
            sh(["ip", "link", "set", "ul0", "up"], hosts[i])
            host_veth_pair(hosts[i], vms[i], vm_mtu)
            disable_tx_offloads(vms[i], "eth0")
            sh(["ip", "addr", "add", f"{VM_IPS[i]}/24", "dev", "eth0"], vms[i])
            (workdir / f"h{i + 1}").mkdir()
            ovs_hosts.append(OvsHost(hosts[i], workdir / f"h{i + 1}"))
            ovs_hosts[i].start(datapath_cpus())
            _configure(ovs_hosts[i], i, port_type)
        topo = AnchorTopology(name="ovs" if port_type == "system" else f"ovs-{port_type}",
                              client_ns=vms[0], server_ns=vms[1], server_ip=VM_IPS[1],
                              namespaces=list(spaces.created), workdir=workdir,
                              pids=[p.pid for h in ovs_hosts for p in h.procs])
        wait_for_ping(topo.client_ns, topo.server_ip, timeout=30.0)
        yield topo
    finally:
        for host in ovs_hosts:
            host.stop()
        spaces.delete_all()
        shutil.rmtree(workdir, ignore_errors=True)
