"""The golden cases: one host engine (host-1), a fixed config, input pcaps, expectations.

Snabb-style: `data/<case>.in.pcap` is fed to one side of host-1's engine; the frames it emits
must equal `data/<case>.out.pcap` byte for byte, and the emission ports, engine counters and
flow-cache statistics must equal `data/<case>.expected.json`.

* inputs: `python tests/golden/make_golden_inputs.py` (scapy, deterministic);
* expectations: `SMARTNIC_REGENERATE_GOLDEN=1 pytest tests/golden` — only on purpose, after
  checking that the new behaviour is right; a plain run never writes anything.

Everything the wire depends on is pinned here (MACs, underlay addresses, VNI), so the inputs
do not change when unrelated defaults do. ENI identity tags are derived by the compiler; the
input generator asks it (see make_golden_inputs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
REGENERATE_ENV = "SMARTNIC_REGENERATE_GOLDEN"
START_S = 1_767_225_600.0  # virtual clock start, fixed timestamps in every pcap
STEP_S = 0.001

MAC = {"eni-a": "02:00:00:00:0a:0a", "eni-b": "02:00:00:00:0a:14", "eni-c": "02:00:00:00:0b:1e"}
UNDERLAY = {"host-1": "198.18.0.1", "host-2": "198.18.0.2", "host-3": "198.18.0.3"}
VNI = 5001
VM_NEXT_HOP_MAC = "0e:00:00:00:00:01"  # whatever the VM's ARP cache says; the engine rewrites

CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-a", "cidrs": ["10.0.0.0/16"], "vni": VNI}],
    "subnets": [{"id": "subnet-1", "vpc": "vpc-a", "cidr": "10.0.1.0/24", "nacl": "acl-1"},
                {"id": "subnet-2", "vpc": "vpc-a", "cidr": "10.0.2.0/24"}],
    "security_groups": [
        {"id": "sg-a", "vpc": "vpc-a",
         "ingress": [{"proto": "tcp", "ports": "22", "peer": "10.0.2.0/24"}],
         "egress": [{"proto": "tcp", "ports": "0-65535", "peer": "0.0.0.0/0"},
                    {"proto": "icmp", "icmp_type": -1, "icmp_code": -1, "peer": "10.0.0.0/16"}]},
        {"id": "sg-c", "vpc": "vpc-a", "ingress": [{"proto": "all", "peer": "10.0.0.0/16"}]},
    ],
    "nacls": [{"id": "acl-1", "vpc": "vpc-a",
               "ingress": [{"n": 50, "action": "deny", "proto": "tcp", "ports": "23",
                            "cidr": "0.0.0.0/0"},
                           {"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}],
               "egress": [{"n": 50, "action": "deny", "proto": "tcp", "ports": "25",
                           "cidr": "0.0.0.0/0"},
                          {"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}]}],
    "enis": [
        {"id": "eni-a", "subnet": "subnet-1", "ips": ["10.0.1.10"], "sgs": ["sg-a"],
         "mac": MAC["eni-a"]},
        {"id": "eni-b", "subnet": "subnet-1", "ips": ["10.0.1.20"], "sgs": ["sg-c"],
         "mac": MAC["eni-b"]},
        {"id": "eni-c", "subnet": "subnet-2", "ips": ["10.0.2.30"], "sgs": ["sg-c"],
         "mac": MAC["eni-c"]},
    ],
    "hosts": [{"id": h, "underlay_ip": ip, "enis": [e]}
              for (h, ip), e in zip(UNDERLAY.items(), ("eni-a", "eni-b", "eni-c"), strict=True)],
}


@dataclass(frozen=True)
class Case:
    name: str
    side: str  # "vm:<eni>" (frames from that VM port) | "underlay"
    purpose: str

    def path(self, kind: str) -> Path:
        return DATA / f"{self.name}.{kind}"


CASES = (
    Case("vm_to_underlay_vxlan", "vm:eni-a",
         "eni-a -> eni-c (host-3): TCP, ICMP and a repeated TCP packet (a cache hit) leave as "
         "VXLAN with VNI 5001, eni-a's identity tag, router-rewritten inner MACs"),
    Case("underlay_to_vm", "underlay",
         "eni-c (host-3) -> eni-a over VXLAN: decapsulated, NACL and SG checked, delivered with "
         "router MACs; TCP 80 refused by sg-a (SG-R1)"),
    Case("sg_drop", "vm:eni-a",
         "sg-a egress allows TCP anywhere and ICMP inside the VPC: UDP to eni-c and ICMP to "
         "198.51.100.7 are dropped at src_sg_egress, TCP to eni-c leaves (control)"),
    Case("nacl_drop", "vm:eni-a",
         "TCP 25 leaving subnet-1 hits acl-1 outbound rule 50 (src_nacl_egress); TCP 25 to "
         "eni-b stays inside subnet-1 and is not filtered by the NACL (NACL-R8)"),
    Case("nacl_drop_underlay", "underlay",
         "eni-c -> eni-a over VXLAN: TCP 23 hits acl-1 inbound rule 50 (dst_nacl_ingress), "
         "TCP 22 passes (control)"),
)
