"""The benchmark cloud: two ENIs on two hosts, each under an AWS-maximum policy.

`aws_max_config(conntrack_max)` returns a native config dict (load it with
`smartnic.model.load_config`):

- one VPC (10.0.0.0/16, 2001:db8:100::/56); `eni-client` 10.0.1.10 in subnet-client on
  host-1, `eni-server` 10.0.2.10 in subnet-server on host-2. Different subnets, so every
  packet crosses a route lookup and both subnets' NACLs (RT-R9, NACL-R8).
- 5 security groups on each ENI (the per-ENI quota). Every group has, per direction, 60
  IPv4 quota units (SG-R10): 53 CIDR rules, 4 SG references (one unit each) and one
  prefix-list rule weighing its max_entries (3). Every packet is checked against all
  5 × 60 = 300 peers of a direction (the union of rules is scanned whole).
- NACLs: 19 explicit IPv4 rules per direction + the implicit `*` rule = 20, the per-family
  quota. The allow rule that carries the benchmark traffic is numbered last, so every
  packet walks all 19 (first match wins, NACL-R3).
- 100 routes: 50 static IPv4 + 50 static IPv6 routes to the internet gateway (the default
  quota of 50 per family per table, RT-R11), plus the implicit local routes. The traffic
  to the other subnet is routed by the local route, the shortest prefix, so a lookup
  passes every longer static route first.

Traffic the policy admits as new tracked connections: UDP and TCP to ports
`SERVICE_PORTS` from subnet-client to subnet-server, ICMP within the VPC. Nothing is
admitted by an all-addresses rule, so every connection is tracked (SG-R20).
"""

from __future__ import annotations

from typing import Any

GROUPS = 5
CIDR_RULES_PER_DIRECTION = 53
REFERENCES_PER_DIRECTION = 4
PREFIX_LIST_ENTRIES = 3  # a prefix-list rule weighs its max_entries (SG-R10)
QUOTA_UNITS_PER_DIRECTION = CIDR_RULES_PER_DIRECTION + REFERENCES_PER_DIRECTION + \
    PREFIX_LIST_ENTRIES  # = 60
NACL_RULES_PER_DIRECTION = 19  # + the implicit '*' rule = the quota of 20
STATIC_ROUTES_PER_FAMILY = 50
SERVICE_PORTS = (5201, 5299)  # UDP/TCP destination ports open from client to server
CLIENT = {"eni": "eni-client", "ip": "10.0.1.10", "host": "host-1",
          "subnet": "subnet-client", "cidr": "10.0.1.0/24"}
SERVER = {"eni": "eni-server", "ip": "10.0.2.10", "host": "host-2",
          "subnet": "subnet-server", "cidr": "10.0.2.0/24"}
VPC_CIDR = "10.0.0.0/16"


def _filler_cidr(group: int, index: int) -> str:
    """A peer no benchmark packet comes from or goes to (RFC 1918 space outside the VPC)."""
    return f"172.{16 + group}.{index}.0/24"


def _group_rules(group: int, direction: str) -> list[dict[str, Any]]:
    """60 quota units of `direction` for group `group` (1-based); see the module docstring."""
    far = CLIENT["cidr"] if direction == "ingress" else SERVER["cidr"]
    ports = f"{SERVICE_PORTS[0]}-{SERVICE_PORTS[1]}"
    rules: list[dict[str, Any]] = []
    if group == GROUPS:  # the rules the traffic needs live in the last group
        rules += [{"proto": "udp", "ports": ports, "peer": far},
                  {"proto": "tcp", "ports": ports, "peer": far},
                  {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": VPC_CIDR}]
    while len(rules) < CIDR_RULES_PER_DIRECTION:
        index = len(rules)
        rules.append({"proto": "tcp", "ports": str(10000 + 100 * group + index),
                      "peer": _filler_cidr(group, index)})
    others = [g for g in range(1, GROUPS + 1) if g != group][:REFERENCES_PER_DIRECTION]
    rules += [{"proto": "tcp", "ports": str(20000 + 10 * group + other),
               "peer": f"sg-bench-{other}"} for other in others]
    rules.append({"proto": "tcp", "ports": "443", "peer": f"pl-bench-{group}"})
    return rules


def _nacl_rules(far_cidr: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"n": 10 * (i + 1), "action": "deny", "proto": "tcp", "ports": f"{1000 + i}-{1000 + i}",
         "cidr": f"172.31.{i}.0/24"} for i in range(NACL_RULES_PER_DIRECTION - 1)]
    rules.append({"n": 10 * NACL_RULES_PER_DIRECTION, "action": "allow", "proto": "all",
                  "cidr": far_cidr})
    return rules


def _routes() -> list[dict[str, str]]:
    v4 = [{"dst": f"172.16.{i}.0/24", "target": "igw-bench"}
          for i in range(STATIC_ROUTES_PER_FAMILY)]
    v6 = [{"dst": f"2001:db8:f{i:03x}::/48", "target": "igw-bench"}
          for i in range(STATIC_ROUTES_PER_FAMILY)]
    return v4 + v6


def _eni(spec: dict[str, str], conntrack_max: int) -> dict[str, Any]:
    return {"id": spec["eni"], "subnet": spec["subnet"], "ips": [spec["ip"]],
            "sgs": [f"sg-bench-{g}" for g in range(1, GROUPS + 1)],
            "limits": {"conntrack_max": conntrack_max}}


def aws_max_config(conntrack_max: int = 2_000_000) -> dict[str, Any]:
    """The benchmark cloud as a native config dict; see the module docstring."""
    groups = [{"id": f"sg-bench-{g}", "vpc": "vpc-bench", "ingress": _group_rules(g, "ingress"),
               "egress": _group_rules(g, "egress")} for g in range(1, GROUPS + 1)]
    prefix_lists = [{"id": f"pl-bench-{g}", "max_entries": PREFIX_LIST_ENTRIES,
                     "entries": [f"192.0.{g}.{8 * e}/29" for e in range(PREFIX_LIST_ENTRIES)]}
                    for g in range(1, GROUPS + 1)]
    both = [{"id": s["subnet"], "vpc": "vpc-bench", "cidr": s["cidr"], "nacl": "acl-bench",
             "route_table": "rtb-bench", "ipv6_cidr": f"2001:db8:100:{n}::/64"}
            for n, s in ((1, CLIENT), (2, SERVER))]
    return {
        "vpcs": [{"id": "vpc-bench", "cidrs": [VPC_CIDR], "ipv6_cidrs": ["2001:db8:100::/56"]}],
        "igws": [{"id": "igw-bench", "vpc": "vpc-bench"}],
        "subnets": both,
        "prefix_lists": prefix_lists,
        "security_groups": groups,
        "nacls": [{"id": "acl-bench", "vpc": "vpc-bench", "ingress": _nacl_rules(VPC_CIDR),
                   "egress": _nacl_rules(VPC_CIDR)}],
        "route_tables": [{"id": "rtb-bench", "vpc": "vpc-bench", "routes": _routes()}],
        "enis": [_eni(CLIENT, conntrack_max), _eni(SERVER, conntrack_max)],
        "hosts": [{"id": CLIENT["host"], "enis": [CLIENT["eni"]]},
                  {"id": SERVER["host"], "enis": [SERVER["eni"]]}],
    }


def policy_size(config: dict[str, Any]) -> dict[str, int]:
    """What the policy of `config` holds, counted from the dict (quota units, rules, routes)."""
    weights = {pl["id"]: pl["max_entries"] for pl in config["prefix_lists"]}

    def units(rules: list[dict[str, Any]]) -> int:
        return sum(weights.get(r["peer"], 1) for r in rules)

    groups = config["security_groups"]
    nacl = config["nacls"][0]
    routes = config["route_tables"][0]["routes"]
    return {
        "groups_per_eni": len(config["enis"][0]["sgs"]),
        "ingress_units_per_group": min(units(g["ingress"]) for g in groups),
        "egress_units_per_group": min(units(g["egress"]) for g in groups),
        "sg_references": sum(r["peer"].startswith("sg-") for g in groups
                             for r in g["ingress"] + g["egress"]),
        "prefix_list_rules": sum(r["peer"].startswith("pl-") for g in groups
                                 for r in g["ingress"] + g["egress"]),
        "nacl_rules_per_direction": len(nacl["ingress"]) + 1,
        "ipv4_routes": sum(":" not in r["dst"] for r in routes),
        "ipv6_routes": sum(":" in r["dst"] for r in routes),
    }
