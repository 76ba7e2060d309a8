"""`build(plan, state_path)`: create a planned topology, recording each object first.

Order: state file → namespaces (loopback up, namespace sysctls) → bridges → kernel VXLAN
devices and their FDB → veth pairs (each end: MAC, MTU, bridge, sysctls, addresses) →
nftables ingress drops on the links engines read → veths up → routes → neighbours → wait
until every veth is operationally up → `complete`.
Refuses (`TopologyExists`) before touching anything when the state file or any planned
namespace exists. A build that fails leaves its record: `teardown` removes what was made.
Everything goes through pyroute2 netlink except the nftables rules (`nsexec.load_nft`).
"""

from __future__ import annotations

import ipaddress
import time
from collections import defaultdict
from pathlib import Path
from types import TracebackType
from typing import Any

from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns

from smartnic.net.linux.layout import Bridge, Interface, Neighbor, Route, TopologyPlan, Veth, Vxlan
from smartnic.net.linux.names import default_state_path
from smartnic.net.linux.nsexec import (
    disable_tx_offloads,
    ingress_drop_ruleset,
    list_namespaces,
    load_nft,
    write_sysctls,
)
from smartnic.net.linux.state import (
    TopologyExists,
    create_state,
    mark_complete,
    record_link,
    record_namespace,
)

IFA_F_NODAD = 0x02
RTNH_F_ONLINK = 0x04
NUD_PERMANENT = 0x80
FLOOD_MAC = "00:00:00:00:00:00"
OPERATIONAL_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.02


def build(plan: TopologyPlan, state_path: str | Path | None = None) -> None:
    path = Path(state_path) if state_path is not None else default_state_path(plan.prefix)
    if path.exists():
        raise TopologyExists(f"topology {plan.prefix!r} is already recorded in {path}; "
                             "tear it down first")
    present = sorted(set(plan.namespace_names()) & set(list_namespaces()))
    if present:
        raise TopologyExists(f"topology {plan.prefix!r}: namespaces already exist: "
                             f"{', '.join(present)}; tear the prefix down first")
    create_state(path, plan.prefix, plan.config_path)
    with _Sockets() as sockets:
        for namespace in plan.namespaces:
            record_namespace(path, namespace.name)
            pyroute2_netns.create(namespace.name)
            write_sysctls(namespace.name, namespace.sysctls)
            ipr = sockets[namespace.name]
            ipr.link("set", index=_index(ipr, "lo"), state="up")
        for bridge in plan.bridges:
            _add_bridge(path, sockets[bridge.netns], bridge)
        for vxlan in plan.vxlans:
            _add_vxlan(path, sockets[vxlan.netns], vxlan)
        for veth in plan.veths:
            _add_veth(path, sockets, veth)
        # The kernel's copy is dropped before any engine link comes up, never after.
        _drop_kernel_copies(plan.engine_links)
        for interface in plan.interfaces():
            ipr = sockets[interface.netns]
            ipr.link("set", index=_index(ipr, interface.name), state="up")
        for route in plan.routes:
            _add_route(sockets[route.netns], route)
        for neighbor in plan.neighbors:
            _add_neighbor(sockets[neighbor.netns], neighbor)
        _wait_operational(sockets, plan.interfaces())
    mark_complete(path)


class _Sockets:
    """One netlink socket per namespace, opened on first use, closed at the end."""

    def __init__(self) -> None:
        self.open: dict[str, IPRoute] = {}

    def __getitem__(self, netns: str) -> IPRoute:
        if netns not in self.open:
            self.open[netns] = IPRoute(netns=netns, flags=0)
        return self.open[netns]

    def __enter__(self) -> _Sockets:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for ipr in self.open.values():
            ipr.close()


def _index(ipr: IPRoute, name: str) -> int:
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise LookupError(f"interface {name!r} not found in {ipr.status.get('netns')}")
    return int(found[0])


def _add_bridge(path: Path, ipr: IPRoute, bridge: Bridge) -> None:
    record_link(path, bridge.netns, bridge.name)
    ipr.link("add", ifname=bridge.name, kind="bridge")
    write_sysctls(bridge.netns, bridge.sysctls)
    ipr.link("set", index=_index(ipr, bridge.name), state="up")


def _add_vxlan(path: Path, ipr: IPRoute, vxlan: Vxlan) -> None:
    record_link(path, vxlan.netns, vxlan.name)
    ipr.link("add", ifname=vxlan.name, kind="vxlan", vxlan_id=vxlan.vni,
             vxlan_local=vxlan.local, vxlan_port=vxlan.port, vxlan_learning=1)
    index = _index(ipr, vxlan.name)
    ipr.link("set", index=index, mtu=vxlan.mtu, master=_index(ipr, vxlan.master))
    write_sysctls(vxlan.netns, vxlan.sysctls)
    ipr.link("set", index=index, state="up")
    for remote in vxlan.flood_to:
        ipr.fdb("append", ifindex=index, lladdr=FLOOD_MAC, dst=remote)
    for mac, remote in vxlan.static_fdb:
        ipr.fdb("append", ifindex=index, lladdr=mac, dst=remote)


def _add_veth(path: Path, sockets: _Sockets, veth: Veth) -> None:
    for end in (veth.end, veth.peer):
        record_link(path, end.netns, end.name)
    sockets[veth.end.netns].link(
        "add", ifname=veth.end.name, kind="veth",
        peer={"ifname": veth.peer.name, "net_ns_fd": veth.peer.netns})
    for end in (veth.end, veth.peer):
        _configure(sockets[end.netns], end)


def _configure(ipr: IPRoute, interface: Interface) -> None:
    index = _index(ipr, interface.name)
    settings: dict[str, Any] = {}
    if interface.mac is not None:
        settings["address"] = interface.mac
    if interface.mtu is not None:
        settings["mtu"] = interface.mtu
    if interface.master is not None:
        settings["master"] = _index(ipr, interface.master)
    if settings:
        ipr.link("set", index=index, **settings)
    # While the link is down, so it never sends a router solicitation or answers ARP.
    write_sysctls(interface.netns, interface.sysctls)
    if interface.offloads_off:
        disable_tx_offloads(interface.netns, interface.name)
    for text in interface.addresses:
        address = ipaddress.ip_interface(text)
        ipr.addr("add", index=index, address=str(address.ip),
                 prefixlen=address.network.prefixlen,
                 flags=IFA_F_NODAD if address.version == 6 else 0)


def _add_route(ipr: IPRoute, route: Route) -> None:
    fields: dict[str, Any] = {"dst": route.dst, "oif": _index(ipr, route.dev)}
    if route.gateway is not None:
        fields["gateway"] = route.gateway
    if route.onlink:
        fields["flags"] = RTNH_F_ONLINK
    ipr.route("add", **fields)


def _add_neighbor(ipr: IPRoute, neighbor: Neighbor) -> None:
    ipr.neigh("replace", dst=neighbor.address, lladdr=neighbor.mac,
              ifindex=_index(ipr, neighbor.dev), state=NUD_PERMANENT)


def _wait_operational(sockets: _Sockets, interfaces: list[Interface],
                      timeout_s: float = OPERATIONAL_TIMEOUT_S) -> None:
    """Wait until every veth end is operationally up.

    The kernel reports carrier changes through its link-watch work (batched up to a
    second), and a bridge forwards on a port only after that: a caller that sends right
    after `build` would otherwise lose its first packets.
    """
    deadline = time.monotonic() + timeout_s
    pending = list(interfaces)
    while pending:
        pending = [i for i in pending if _operstate(sockets[i.netns], i.name) != "UP"]
        if pending and time.monotonic() > deadline:
            names = ", ".join(f"{i.netns}/{i.name}" for i in pending)
            raise TimeoutError(f"links not up after {timeout_s} s: {names}")
        if pending:
            time.sleep(POLL_INTERVAL_S)


def _operstate(ipr: IPRoute, name: str) -> str:
    return str(ipr.get_links(_index(ipr, name))[0].get_attr("IFLA_OPERSTATE"))


def _drop_kernel_copies(engine_links: tuple[tuple[str, str], ...]) -> None:
    by_netns: dict[str, list[str]] = defaultdict(list)
    for netns, dev in engine_links:
        by_netns[netns].append(dev)
    for netns, devices in by_netns.items():
        load_nft(netns, ingress_drop_ruleset(devices))
