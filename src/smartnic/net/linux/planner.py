"""`plan(config, prefix)`: the Linux objects of a topology, decided without touching the kernel.

Input: a validated Config (every ENI on one host) and a prefix (see `names`). Output: a
`TopologyPlan` (see `layout`). Pure, so it is tested without root.

* underlay: one namespace holding a Linux bridge — the physical network; each host and the
  edge join it with a veth carrying its underlay IPv4 (prefix: the longest ≤ /16 covering
  every underlay address, so 198.18.0.0/16 by default) and MAC 02:5e:<IPv4> (the engines'
  convention, `underlay_mac`); permanent neighbour entries make ARP unnecessary on it; the
  hosts' stacks compute checksums themselves there (no offload), as frames on a wire carry them;
* hosts: IPv4 forwarding off; VM links carry no address, no IPv6 and answer no ARP;
* VMs: `eth0` with the ENI's MAC, MTU, IPv4s (primary first, subnet prefix length) and IPv6s,
  a default route via the subnet router (.1) and an IPv6 one via its ::1 (onlink);
* kernel-VXLAN hosts (`kind: kernel`): per VPC a bridge `br<K>` and `vxlan<K>` (its VNI,
  learning on) flooding to every other host, with static FDB entries for remote ENIs;
* edge ↔ internet: the edge side carries no IP (the edge engine reads it); the internet
  side holds documentation addresses and routes the cloud's public IPv4s and VPC IPv6
  blocks to a next hop whose MAC is the edge's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.edge import INTERNET_ROUTER_MAC
from smartnic.dataplane.runner import underlay_mac
from smartnic.model.config import Config
from smartnic.net.linux.layout import (
    Bridge,
    EdgePlan,
    HostPlan,
    Interface,
    InternetPlan,
    Namespace,
    Neighbor,
    Route,
    Sysctl,
    TopologyPlan,
    Veth,
    VmPlan,
    Vxlan,
)
from smartnic.net.linux.names import VM_DEVICE, check_prefix, ifname, netns_name
from smartnic.packet import bytes_to_mac, int_to_ip

UNDERLAY_PREFIX_MAX_LEN = 16
DEFAULT_UNDERLAY_MTU = 9216  # jumbo, like a cloud fabric: a 9001-byte ENI frame + VXLAN fits
VXLAN_OVERHEAD_BYTES = 50
VXLAN_PORT = 4789
INTERNET_ADDRESSES = ("198.51.100.1/24", "203.0.113.1/24", "2001:db8:ffff::1/64")
EDGE_NEXT_HOP = {4: "198.51.100.254", 6: "2001:db8:ffff::fe"}
# The edge's end of the internet link; the internet addresses frames to it (as the
# scenario sender does) and the edge engine sends to INTERNET_ROUTER_MAC.
EDGE_EXTERNAL_MAC = "0e:00:00:00:00:00"
HOST_SYSCTLS: tuple[Sysctl, ...] = (
    ("net/ipv4/ip_forward", "0"), ("net/ipv6/conf/all/forwarding", "0"),
)
UNDERLAY_SYSCTLS: tuple[Sysctl, ...] = (
    ("net/ipv6/conf/all/disable_ipv6", "1"), ("net/ipv6/conf/default/disable_ipv6", "1"),
)


def plan(config: Config, prefix: str, *, config_path: str | None = None,
         underlay_mtu: int = DEFAULT_UNDERLAY_MTU) -> TopologyPlan:
    """Hosts with `kind: kernel` become plain kernel-VXLAN hosts (no engine)."""
    check_prefix(prefix)
    program = compile_program(config)
    kernel = frozenset(h.id for h in config.hosts if h.kind == "kernel")
    planner = _Planner(prefix, program, kernel, underlay_mtu)
    planner.add_hosts()
    planner.add_edge_and_internet()
    planner.add_vms()
    planner.add_underlay_neighbors()
    return planner.result(config_path)


def _no_ipv6(dev: str) -> tuple[Sysctl, ...]:
    return ((f"net/ipv6/conf/{dev}/disable_ipv6", "1"),)


def _silent(dev: str) -> tuple[Sysctl, ...]:
    """No IPv6 on the link and no ARP answers for the namespace's own addresses on it."""
    return (*_no_ipv6(dev), (f"net/ipv4/conf/{dev}/arp_ignore", "8"))


def underlay_prefix_len(addresses: Iterable[int]) -> int:
    """The longest prefix (at most /16) shared by every underlay IPv4."""
    values = set(addresses)
    length = UNDERLAY_PREFIX_MAX_LEN
    while length and len({value >> (32 - length) for value in values}) > 1:
        length -= 1
    return length


class _Planner:
    def __init__(self, prefix: str, program: Program, kernel: frozenset[str],
                 underlay_mtu: int) -> None:
        self.prefix = prefix
        self.program = program
        self.kernel = kernel
        self.mtu = underlay_mtu
        self.underlay_netns = netns_name(prefix, "ul")
        self.underlay_bridge = ifname(prefix, "ul")
        self.underlay_len = underlay_prefix_len(
            [h.underlay_ip for h in program.hosts.values()] + [program.edge_underlay_ip])
        self.namespaces = [Namespace(self.underlay_netns, "underlay", "underlay",
                                     UNDERLAY_SYSCTLS)]
        self.bridges = [Bridge(self.underlay_netns, self.underlay_bridge)]
        self.vxlans: list[Vxlan] = []
        self.veths: list[Veth] = []
        self.routes: list[Route] = []
        self.neighbors: list[Neighbor] = []
        self.engine_links: list[tuple[str, str]] = []
        self.hosts: dict[str, HostPlan] = {}
        self.vms: dict[str, VmPlan] = {}
        self.vpc_bridges: dict[tuple[str, str], str] = {}
        self.underlay_members: list[tuple[str, str, int]] = []  # (netns, dev, underlay IP)
        self.eni_numbers = {eni_id: n for n, eni_id in enumerate(program.enis, 1)}

    def attach_underlay(self, netns: str, dev: str, port: str, ip: int) -> str:
        """Frames leave every underlay link with checksums complete, as on a wire: engines
        on an AF_PACKET underlay read what a host's own stack sent (a kernel VXLAN host,
        a UDP socket) as it is, and a veth would pass a checksum left to offload."""
        mac = bytes_to_mac(underlay_mac(ip))
        end = Interface(netns, dev, mac=mac, mtu=self.mtu,
                        addresses=(f"{int_to_ip(4, ip)}/{self.underlay_len}",),
                        offloads_off=True)
        self.veths.append(Veth(end, Interface(self.underlay_netns, port, mtu=self.mtu,
                                              master=self.underlay_bridge)))
        self.underlay_members.append((netns, dev, ip))
        return mac

    def add_hosts(self) -> None:
        for n, host in enumerate(self.program.hosts.values(), 1):
            netns, dev = netns_name(self.prefix, "h", n), ifname(self.prefix, "h", n)
            self.namespaces.append(Namespace(netns, "host", host.id, HOST_SYSCTLS))
            kind = "kernel" if host.id in self.kernel else "engine"
            mac = self.attach_underlay(netns, dev, ifname(self.prefix, "b", n), host.underlay_ip)
            links = {e: ifname(self.prefix, "v", self.eni_numbers[e]) for e in host.eni_ids}
            self.hosts[host.id] = HostPlan(host.id, netns, kind, int_to_ip(4, host.underlay_ip),
                                           dev, mac, links)

    def add_edge_and_internet(self) -> None:
        edge_ns, inet_ns = netns_name(self.prefix, "edge"), netns_name(self.prefix, "inet")
        self.namespaces.append(Namespace(edge_ns, "edge", "edge", HOST_SYSCTLS))
        self.namespaces.append(Namespace(inet_ns, "internet", "internet"))
        edge_ip = self.program.edge_underlay_ip
        edge_dev = ifname(self.prefix, "e")
        edge_mac = self.attach_underlay(edge_ns, edge_dev, ifname(self.prefix, "be"), edge_ip)
        external, inet_dev = ifname(self.prefix, "ex"), ifname(self.prefix, "in")
        inet_mac = bytes_to_mac(INTERNET_ROUTER_MAC)
        self.veths.append(Veth(
            Interface(edge_ns, external, mac=EDGE_EXTERNAL_MAC, sysctls=_silent(external)),
            Interface(inet_ns, inet_dev, mac=inet_mac, addresses=INTERNET_ADDRESSES,
                      offloads_off=True)))
        self.engine_links.append((edge_ns, external))
        routes = [Route(inet_ns, inet_dev, f"{int_to_ip(4, ip)}/32", EDGE_NEXT_HOP[4])
                  for ip in sorted(self.program.public_owner)]
        routes += [Route(inet_ns, inet_dev, str(cidr), EDGE_NEXT_HOP[6])
                   for vpc in self.program.vpcs.values() for cidr in vpc.ipv6_cidrs]
        self.routes += routes
        self.neighbors += [Neighbor(inet_ns, inet_dev, hop, EDGE_EXTERNAL_MAC)
                           for hop in EDGE_NEXT_HOP.values()]
        self.edge = EdgePlan(edge_ns, int_to_ip(4, edge_ip), edge_dev, edge_mac, external,
                             EDGE_EXTERNAL_MAC)
        self.internet = InternetPlan(inet_ns, inet_dev, inet_mac, INTERNET_ADDRESSES,
                                     tuple(routes))

    def add_vms(self) -> None:
        for eni in self.program.config.enis:
            view = self.program.enis[eni.id]
            host = self.hosts[view.host_id]
            netns = netns_name(self.prefix, "v", self.eni_numbers[eni.id])
            self.namespaces.append(Namespace(netns, "vm", eni.id))
            addresses, routes = self.vm_addressing(netns, eni.id, eni.ips, eni.ipv6)
            mac = bytes_to_mac(view.mac)
            vm_end = Interface(netns, VM_DEVICE, mac=mac, mtu=view.mtu, addresses=addresses,
                               offloads_off=True)
            port = host.vm_links[eni.id]
            if host.kind == "kernel":
                master = self.vpc_bridge(host, view.vpc_id)
                host_end = Interface(host.netns, port, mtu=view.mtu, master=master,
                                     sysctls=_no_ipv6(port))
            else:
                host_end = Interface(host.netns, port, mtu=view.mtu, sysctls=_silent(port))
                self.engine_links.append((host.netns, port))
            self.veths.append(Veth(host_end, vm_end))
            self.routes += routes
            self.vms[eni.id] = VmPlan(eni.id, host.id, netns, VM_DEVICE, port, mac, view.mtu,
                                      addresses, routes)

    def vm_addressing(self, netns: str, eni_id: str, ipv4: list[str],
                      ipv6: list[str]) -> tuple[tuple[str, ...], tuple[Route, ...]]:
        subnet = self.program.subnet_of(self.program.enis[eni_id])
        addresses = [f"{ipaddress.ip_address(ip)}/{subnet.cidr.prefix_len}" for ip in ipv4]
        routes = [Route(netns, VM_DEVICE, "0.0.0.0/0", int_to_ip(4, subnet.router_ip(4)))]
        if ipv6 and subnet.ipv6_cidr is not None:
            length = subnet.ipv6_cidr.prefix_len
            addresses += [f"{ipaddress.ip_address(ip)}/{length}" for ip in ipv6]
            routes.append(Route(netns, VM_DEVICE, "::/0", int_to_ip(6, subnet.router_ip(6)),
                                onlink=True))
        return tuple(addresses), tuple(routes)

    def vpc_bridge(self, host: HostPlan, vpc_id: str) -> str:
        """The bridge of `vpc_id` on a kernel-VXLAN host, created with its VXLAN device."""
        key = (host.id, vpc_id)
        if key not in self.vpc_bridges:
            number = sum(1 for host_id, _ in self.vpc_bridges if host_id == host.id)
            bridge, vxlan = f"br{number}", f"vxlan{number}"
            self.vpc_bridges[key] = bridge
            # No IPv6 on either: the host kernel must not speak into the overlay.
            self.bridges.append(Bridge(host.netns, bridge, _no_ipv6(bridge)))
            self.vxlans.append(self.vxlan(host, vpc_id, vxlan, bridge))
        return self.vpc_bridges[key]

    def vxlan(self, host: HostPlan, vpc_id: str, name: str, bridge: str) -> Vxlan:
        hosts = self.program.hosts
        remote_enis = [e for e in self.program.enis.values()
                       if e.vpc_id == vpc_id and e.host_id != host.id]
        return Vxlan(
            host.netns, name, self.program.vpcs[vpc_id].vni, host.underlay_ip, VXLAN_PORT,
            bridge, self.mtu - VXLAN_OVERHEAD_BYTES,
            flood_to=tuple(int_to_ip(4, h.underlay_ip) for h in hosts.values()
                           if h.id != host.id),
            static_fdb=tuple((bytes_to_mac(e.mac), int_to_ip(4, hosts[e.host_id].underlay_ip))
                             for e in remote_enis),
            sysctls=_no_ipv6(name))

    def add_underlay_neighbors(self) -> None:
        for netns, dev, own_ip in self.underlay_members:
            self.neighbors += [
                Neighbor(netns, dev, int_to_ip(4, ip), bytes_to_mac(underlay_mac(ip)))
                for _, _, ip in self.underlay_members if ip != own_ip]

    def result(self, config_path: str | None) -> TopologyPlan:
        names = [(i.netns, i.name) for v in self.veths for i in (v.end, v.peer)]
        names += [(b.netns, b.name) for b in self.bridges]
        names += [(x.netns, x.name) for x in self.vxlans]
        if len(names) != len(set(names)):
            raise ValueError("two interfaces of the plan share a name in one namespace")
        return TopologyPlan(
            self.prefix, config_path, self.underlay_netns, self.underlay_bridge,
            self.underlay_len, self.mtu, self.hosts, self.vms, self.edge, self.internet,
            tuple(self.namespaces), tuple(self.bridges), tuple(self.vxlans), tuple(self.veths),
            tuple(self.routes), tuple(self.neighbors), tuple(self.engine_links))
