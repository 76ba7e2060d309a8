"""The objects of a topology plan: what `plan()` decides and `build()` creates, as data.

Addresses and MACs are text here (`"10.0.1.10/24"`, `"02:5e:c6:12:00:01"`): this is the
boundary with the kernel. A sysctl is a pair (path under /proc/sys, value).
The summaries (`HostPlan`, `VmPlan`, `EdgePlan`, `InternetPlan`) are what engines and tests
read; the flat tuples of `TopologyPlan` are what `build()` walks, in creation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Sysctl = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    role: str  # "underlay" | "host" | "vm" | "edge" | "internet"
    owner: str  # host id, ENI id, or the role itself
    sysctls: tuple[Sysctl, ...] = ()


@dataclass(frozen=True, slots=True)
class Interface:
    netns: str
    name: str
    mac: str | None = None
    mtu: int | None = None
    addresses: tuple[str, ...] = ()  # "address/prefix_len"; IPv6 ones are added `nodad`
    master: str | None = None  # a bridge in the same namespace
    sysctls: tuple[Sysctl, ...] = ()  # applied before the link goes up
    # The far end is read by an engine through AF_PACKET: frames must leave this stack
    # complete (checksums filled in, no TSO/GSO super-frames).
    offloads_off: bool = False


@dataclass(frozen=True, slots=True)
class Veth:
    end: Interface  # the end created first, in its namespace
    peer: Interface  # created at once in its own namespace


@dataclass(frozen=True, slots=True)
class Bridge:
    netns: str
    name: str
    sysctls: tuple[Sysctl, ...] = ()


@dataclass(frozen=True, slots=True)
class Vxlan:
    """A kernel VXLAN device (learning on, no GBP) attached to a bridge."""

    netns: str
    name: str
    vni: int
    local: str
    port: int
    master: str
    mtu: int
    flood_to: tuple[str, ...]  # all-zero FDB entries: head-end replication of BUM traffic
    static_fdb: tuple[tuple[str, str], ...]  # (remote ENI MAC, its host's underlay IP)
    sysctls: tuple[Sysctl, ...] = ()


@dataclass(frozen=True, slots=True)
class Route:
    netns: str
    dev: str
    dst: str  # CIDR; "0.0.0.0/0" / "::/0" for a default route
    gateway: str | None = None
    onlink: bool = False


@dataclass(frozen=True, slots=True)
class Neighbor:
    netns: str
    dev: str
    address: str
    mac: str  # installed permanent


@dataclass(frozen=True, slots=True)
class HostPlan:
    id: str
    netns: str
    kind: str  # "engine" (links read by a smartnic engine) | "kernel" (kernel VXLAN bridge)
    underlay_ip: str
    underlay_dev: str
    underlay_mac: str
    vm_links: dict[str, str] = field(default_factory=dict)  # ENI id -> host-side interface


@dataclass(frozen=True, slots=True)
class VmPlan:
    eni_id: str
    host_id: str
    netns: str
    dev: str
    host_link: str  # the host-side end, in the host namespace
    mac: str
    mtu: int
    addresses: tuple[str, ...]  # IPv4 (primary first) then IPv6, with prefix lengths
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class EdgePlan:
    netns: str
    underlay_ip: str
    underlay_dev: str
    underlay_mac: str
    external_dev: str  # toward the internet namespace; no IP, read by the edge engine
    external_mac: str


@dataclass(frozen=True, slots=True)
class InternetPlan:
    netns: str
    dev: str
    mac: str
    addresses: tuple[str, ...]
    routes: tuple[Route, ...]  # the cloud's public IPv4s and VPC IPv6 blocks, via the edge


@dataclass(frozen=True, slots=True)
class TopologyPlan:
    prefix: str
    config_path: str | None
    underlay_netns: str
    underlay_bridge: str
    underlay_prefix_len: int
    underlay_mtu: int
    hosts: dict[str, HostPlan]
    vms: dict[str, VmPlan]
    edge: EdgePlan
    internet: InternetPlan
    namespaces: tuple[Namespace, ...]
    bridges: tuple[Bridge, ...]
    vxlans: tuple[Vxlan, ...]
    veths: tuple[Veth, ...]
    routes: tuple[Route, ...]
    neighbors: tuple[Neighbor, ...]
    # Links an engine reads with AF_PACKET: an nftables netdev ingress drop takes the
    # kernel's own copy of each frame away, so nothing but the engine answers on them.
    engine_links: tuple[tuple[str, str], ...]  # (netns, interface)

    def namespace_names(self) -> list[str]:
        return [ns.name for ns in self.namespaces]

    def interfaces(self) -> list[Interface]:
        return [i for veth in self.veths for i in (veth.end, veth.peer)]
