"""The embedded sample cloud of `smartnic demo`.

Two VPCs joined by a peering: `vpc-prod` (public web subnet behind an internet gateway,
private app subnet, a database subnet guarded by a NACL with deny rules) and
`vpc-shared` (tools). Security groups chain by reference: web → app → db, and the tools
group of the peer VPC may reach the app tier. Seven instances on three hosts.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"


def _all(cidr: str) -> dict[str, Any]:
    return {"proto": "all", "peer": cidr}


SAMPLE_CONFIG: dict[str, Any] = {
    "account_id": ACCOUNT,
    "region": "us-east-1",
    "vpcs": [
        {"id": "vpc-prod", "cidrs": ["10.10.0.0/16"], "ipv6_cidrs": ["2001:db8:10::/56"]},
        {"id": "vpc-shared", "cidrs": ["10.20.0.0/16"]},
    ],
    "igws": [{"id": "igw-prod", "vpc": "vpc-prod"}],
    "peerings": [{"id": "pcx-prod-shared", "a": "vpc-prod", "b": "vpc-shared"}],
    "subnets": [
        {"id": "subnet-web", "vpc": "vpc-prod", "cidr": "10.10.1.0/24",
         "ipv6_cidr": "2001:db8:10:1::/64", "route_table": "rtb-public"},
        {"id": "subnet-app", "vpc": "vpc-prod", "cidr": "10.10.2.0/24",
         "route_table": "rtb-private"},
        {"id": "subnet-db", "vpc": "vpc-prod", "cidr": "10.10.3.0/24",
         "route_table": "rtb-private", "nacl": "acl-db"},
        {"id": "subnet-tools", "vpc": "vpc-shared", "cidr": "10.20.1.0/24"},
    ],
    "route_tables": [
        {"id": "rtb-public", "vpc": "vpc-prod", "routes": [
            {"dst": "0.0.0.0/0", "target": "igw-prod"},
            {"dst": "::/0", "target": "igw-prod"},
            {"dst": "10.20.0.0/16", "target": "pcx-prod-shared"}]},
        {"id": "rtb-private", "vpc": "vpc-prod", "routes": [
            {"dst": "10.20.0.0/16", "target": "pcx-prod-shared"}]},
        {"id": "rtb-shared", "vpc": "vpc-shared", "main": True, "routes": [
            {"dst": "10.10.0.0/16", "target": "pcx-prod-shared"}]},
    ],
    "security_groups": [
        {"id": "sg-web", "vpc": "vpc-prod", "ingress": [
            {"proto": "tcp", "ports": "443", "peer": "0.0.0.0/0"},
            {"proto": "tcp", "ports": "443", "peer": "::/0"}]},
        {"id": "sg-bastion", "vpc": "vpc-prod", "ingress": [
            {"proto": "tcp", "ports": "22", "peer": "203.0.113.0/24"}]},
        {"id": "sg-app", "vpc": "vpc-prod", "ingress": [
            {"proto": "tcp", "ports": "8080", "peer": "sg-web"},
            {"proto": "tcp", "ports": "22", "peer": "sg-bastion"},
            {"proto": "tcp", "ports": "22", "peer": f"{ACCOUNT}/sg-tools"},
            {"proto": "icmp", "icmp_type": 8, "icmp_code": -1, "peer": "10.10.0.0/16"}]},
        {"id": "sg-db", "vpc": "vpc-prod", "ingress": [
            {"proto": "tcp", "ports": "5432", "peer": "sg-app"},
            {"proto": "tcp", "ports": "22", "peer": "sg-bastion"}]},
        {"id": "sg-tools", "vpc": "vpc-shared", "ingress": [_all("10.20.0.0/16")]},
    ],
    "nacls": [
        {"id": "acl-db", "vpc": "vpc-prod",
         "ingress": [
             {"n": 90, "action": "deny", "proto": "all", "cidr": "10.20.0.0/16"},
             {"n": 100, "action": "deny", "proto": "tcp", "ports": "22-22",
              "cidr": "10.10.0.0/16"},
             {"n": 110, "action": "allow", "proto": "tcp", "ports": "5432-5432",
              "cidr": "10.10.2.0/24"},
             {"n": 120, "action": "allow", "proto": "tcp", "ports": "1024-65535",
              "cidr": "10.10.0.0/16"}],
         "egress": [
             {"n": 100, "action": "allow", "proto": "tcp", "ports": "1024-65535",
              "cidr": "10.10.0.0/16"}]},
    ],
    "enis": [
        {"id": "eni-web1", "subnet": "subnet-web", "ips": ["10.10.1.10"],
         "ipv6": ["2001:db8:10:1::10"], "public_ip": "54.240.10.10", "sgs": ["sg-web"],
         "instance_id": "i-0web1"},
        {"id": "eni-web2", "subnet": "subnet-web", "ips": ["10.10.1.11"],
         "public_ip": "54.240.10.11", "sgs": ["sg-web"], "instance_id": "i-0web2"},
        {"id": "eni-bastion", "subnet": "subnet-web", "ips": ["10.10.1.5"],
         "public_ip": "54.240.10.5", "sgs": ["sg-bastion"], "instance_id": "i-0bastion"},
        {"id": "eni-app1", "subnet": "subnet-app", "ips": ["10.10.2.20"], "sgs": ["sg-app"],
         "instance_id": "i-0app1"},
        {"id": "eni-app2", "subnet": "subnet-app", "ips": ["10.10.2.21"], "sgs": ["sg-app"],
         "instance_id": "i-0app2"},
        {"id": "eni-db1", "subnet": "subnet-db", "ips": ["10.10.3.30"], "sgs": ["sg-db"],
         "instance_id": "i-0db1"},
        {"id": "eni-tools1", "subnet": "subnet-tools", "ips": ["10.20.1.40"],
         "sgs": ["sg-tools"], "instance_id": "i-0tools1"},
    ],
    "hosts": [
        {"id": "host-1", "enis": ["eni-web1", "eni-app1", "eni-db1"]},
        {"id": "host-2", "enis": ["eni-web2", "eni-app2"]},
        {"id": "host-3", "enis": ["eni-bastion", "eni-tools1"]},
    ],
    "flow_logs": [
        {"id": "fl-prod", "resource": "vpc-prod", "traffic": "ALL", "interval": 60,
         "format": "default"},
        {"id": "fl-tools", "resource": "eni-tools1", "traffic": "ALL", "interval": 60,
         "format": ["version", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
                    "protocol", "action", "flow-direction", "traffic-path", "log-status"]},
    ],
}
