"""What the kernels need to know about the Program, as arrays: one view per generation.

Inputs: the Program, this engine's host id and underlay IPv4, the port numbering.
Outputs: `generation`; `admission` (classify.Admission: one sorted table of host underlay
IPs, known VNIs and this host's ENI MACs; the host and the VPC's VNI of every ENI tag);
`vm_ports`: port number of each local ENI → (MAC as int, tag), for the source-MAC check
and the VM-side key.

Example:
    view = ProgramView(program, "host-1", own_ip, fast.port_index)
    view.vm_ports[fast.port_index("vm:eni-a")]  # -> (0x02000000000a, 17)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from smartnic.compiler.program import Program
from smartnic.dataplane.fastpath.classify import KIND_HOST, KIND_MAC, KIND_VNI, Admission

TAGS = 1 << 16
_SHIFT = 56


class ProgramView:
    def __init__(self, program: Program, host_id: str, own_ip: int,
                 port_index: Callable[[str], int]) -> None:
        self.program = program
        self.generation = program.generation
        self.admission = admission(program, host_id, own_ip)
        self.vm_ports = {port_index(f"vm:{eni.id}"): (int.from_bytes(eni.mac, "big"), eni.tag)
                         for eni in program.enis_on(host_id)}


def admission(program: Program, host_id: str, own_ip: int) -> Admission:
    host_numbers = {host: number for number, host in enumerate(sorted(program.hosts))}
    tag_host, tag_vni = np.full(TAGS, -1, np.int64), np.full(TAGS, -1, np.int64)
    for tag, eni in program.eni_by_tag.items():
        if 0 <= tag < TAGS and eni.host_id in host_numbers:
            tag_host[tag] = host_numbers[eni.host_id]
            tag_vni[tag] = program.vpcs[eni.vpc_id].vni
    pairs = [(KIND_HOST << _SHIFT | ip, host_numbers[host])
             for ip, host in program.host_by_underlay.items()]
    pairs += [(KIND_VNI << _SHIFT | vni, 1) for vni in program.vpc_by_vni]
    pairs += [(KIND_MAC << _SHIFT | int.from_bytes(eni.mac, "big"), eni.tag)
              for eni in program.enis_on(host_id)]
    pairs.sort()
    return Admission(
        lookup_keys=np.array([k for k, _ in pairs], np.int64),
        lookup_values=np.array([v for _, v in pairs], np.int64),
        tag_host=tag_host, tag_vni=tag_vni,
        own=np.array([own_ip, program.edge_underlay_ip], np.int64),
    )
