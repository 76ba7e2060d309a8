"""A cloud for the isolation tests: three VPCs, a peering, a firewall route, a kernel host.

vpc-a (10.0.0.0/16, igw-a): subnet-a1 routes vpc-b over pcx-ab and subnet-a2 through
eni-fw (and subnet-a2 routes subnet-a1 back through it); subnet-a3 holds eni-fw (a route
target, check off) and eni-nat (check off, no route targets it). vpc-b (10.1.0.0/16)
routes only subnet-a1 over the peering; vpc-c is peered with nobody. host-k is a kernel
VXLAN host (eni-k, and eni-kx with its check off). Security groups and NACLs let
everything in, so only the overlay's own checks decide. MACs are 02:00:00 + the last
three octets of the ENI's address. vpc-a and vpc-b have IPv6 (subnet-a1, subnet-b1), routed
over the peering like IPv4; ENI 10.x.1.y also holds 2001:db8:<vpc>:1::y.
"""

from __future__ import annotations

import ipaddress
from typing import Any

_ALL_IN = [{"proto": "all", "peer": "0.0.0.0/0"}, {"proto": "all", "peer": "::/0"}]
_NACL = [{"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"},
         {"n": 101, "action": "allow", "proto": "all", "cidr": "::/0"}]
V6 = {"vpc-a": "2001:db8:a", "vpc-b": "2001:db8:b"}  # /56 blocks; subnet n: <block>:n::/64


def _eni(eni_id: str, subnet: str, ip: str, **extra: Any) -> dict[str, Any]:
    """The ENI's IPv6 address (in subnets with a block) ends like its IPv4 one."""
    packed = ipaddress.ip_address(ip).packed
    block = V6.get(f"vpc-{subnet[7]}")
    ipv6 = [f"{block}:{packed[2]}::{packed[3]}"] if block and subnet[8] == "1" else []
    mac = "02:00:00:" + ":".join(f"{octet:02x}" for octet in packed[1:])
    return {"id": eni_id, "subnet": subnet, "ips": [ip], "ipv6": ipv6,
            "sgs": [f"sg-{subnet[7]}"], "mac": mac, **extra}


def _vpc(name: str, cidr: str, table: str) -> dict[str, Any]:
    v6 = [f"{V6[f'vpc-{name}']}::/56"] if f"vpc-{name}" in V6 else []
    return {"id": f"vpc-{name}", "cidrs": [cidr], "ipv6_cidrs": v6,
            "default_nacl": f"acl-{name}", "main_route_table": table,
            "default_sg": f"sg-d{name}"}


# vpc-a: a1 routes vpc-b over the peering and a2 through the firewall (and back); vpc-b
# reaches only a1 over the peering; vpc-c is peered with nobody. host-k is a kernel host.
CONFIG: dict[str, Any] = {
    "vpcs": [_vpc("a", "10.0.0.0/16", "rtb-a-main"), _vpc("b", "10.1.0.0/16", "rtb-b"),
             _vpc("c", "10.2.0.0/16", "rtb-c")],
    "subnets": [
        {"id": "subnet-a1", "vpc": "vpc-a", "cidr": "10.0.1.0/24", "route_table": "rtb-a1",
         "ipv6_cidr": "2001:db8:a:1::/64"},
        {"id": "subnet-a2", "vpc": "vpc-a", "cidr": "10.0.2.0/24", "route_table": "rtb-a2"},
        {"id": "subnet-a3", "vpc": "vpc-a", "cidr": "10.0.3.0/24"},
        {"id": "subnet-b1", "vpc": "vpc-b", "cidr": "10.1.1.0/24",
         "ipv6_cidr": "2001:db8:b:1::/64"},
        {"id": "subnet-c1", "vpc": "vpc-c", "cidr": "10.2.1.0/24"},
    ],
    "security_groups": [
        *({"id": f"sg-{v}", "vpc": f"vpc-{v}", "ingress": _ALL_IN, "egress": _ALL_IN}
          for v in "abc"),
        *({"id": f"sg-d{v}", "vpc": f"vpc-{v}", "default": True, "ingress": _ALL_IN,
           "egress": _ALL_IN} for v in "abc")],
    "nacls": [{"id": f"acl-{v}", "vpc": f"vpc-{v}", "ingress": _NACL, "egress": _NACL}
              for v in "abc"],
    "igws": [{"id": "igw-a", "vpc": "vpc-a"}],
    "peerings": [{"id": "pcx-ab", "a": "vpc-a", "b": "vpc-b", "state": "active"}],
    "route_tables": [
        {"id": "rtb-a-main", "vpc": "vpc-a", "main": True, "routes": [
            {"dst": "0.0.0.0/0", "target": "igw-a"}, {"dst": "::/0", "target": "igw-a"}]},
        {"id": "rtb-a1", "vpc": "vpc-a", "routes": [
            {"dst": "10.1.0.0/16", "target": "pcx-ab"},
            {"dst": "2001:db8:b::/56", "target": "pcx-ab"},
            {"dst": "10.0.2.0/24", "target": "eni-fw"}]},
        {"id": "rtb-a2", "vpc": "vpc-a", "routes": [
            {"dst": "10.0.1.0/24", "target": "eni-fw"}]},
        {"id": "rtb-b", "vpc": "vpc-b", "main": True, "routes": [
            {"dst": "10.0.1.0/24", "target": "pcx-ab"},
            {"dst": "2001:db8:a:1::/64", "target": "pcx-ab"}]},
        {"id": "rtb-c", "vpc": "vpc-c", "main": True, "routes": []},
    ],
    "enis": [
        _eni("eni-a1", "subnet-a1", "10.0.1.10"),
        _eni("eni-a4", "subnet-a1", "10.0.1.40", public_ip="54.0.0.40"),
        _eni("eni-k", "subnet-a1", "10.0.1.50"),
        _eni("eni-kx", "subnet-a1", "10.0.1.60", src_dst_check=False),
        _eni("eni-a2", "subnet-a2", "10.0.2.20"),
        _eni("eni-fw", "subnet-a3", "10.0.3.30", src_dst_check=False),
        _eni("eni-nat", "subnet-a3", "10.0.3.31", src_dst_check=False),
        _eni("eni-b1", "subnet-b1", "10.1.1.10"),
        _eni("eni-b2", "subnet-b1", "10.1.1.20"),
        _eni("eni-c1", "subnet-c1", "10.2.1.10"),
        _eni("eni-c2", "subnet-c1", "10.2.1.20"),
    ],
    "hosts": [
        {"id": "host-1", "enis": ["eni-a1", "eni-fw", "eni-nat", "eni-c1"]},
        {"id": "host-2", "enis": ["eni-a2", "eni-a4", "eni-b1", "eni-c2"]},
        {"id": "host-3", "enis": ["eni-b2"]},
        {"id": "host-k", "kind": "kernel", "enis": ["eni-k", "eni-kx"]},
    ],
}
