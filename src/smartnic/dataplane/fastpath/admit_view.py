"""What the pre-pass needs from one Program beyond admission's tables, as arrays.

Inputs: the engine's `CompiledPolicy` (its Program and ENI numbering), the fast path's
port and ENI registries, the ENIs some flow log covers, the tunnel templates.
Outputs (`KernelView`, indexed by admission ENI number unless said otherwise):
    eni_mac, eni_subnet, eni_host     the ENI's MAC (int), subnet and host numbers
    eni_router_mac                    its VPC router's MAC (ENI-R5)
    eni_port, eni_fast, eni_logged    local ENIs: port index of `vm:<eni>`, the fast
                                      path's ENI number (rx_packets, flow-log ids), whether
                                      a flow log covers it (-1 / 0 elsewhere)
    ct_eni_of                         conntrack ENI number (local ENIs; -1 elsewhere)
    tunnel_of[E, H]                   tunnel template of (sending ENI, destination host),
                                      filled on first use (`ensure_tunnels`); -1 unknown
    tag_eni[65536]                    the ENI carrying a sender tag (-1: none, gateway)
    vni_keys, vni_vpc                 sorted VNIs and their VPC numbers
    vpc_igw                           1 when the VPC has an internet gateway: traffic from
                                      the edge then counts as from a gateway (SG, NACL)
`port_eni`: VM port index → admission ENI number; `min_mtu`: the smallest path MTU a
decision can give (scan.py stops before larger misses).

Example:
    view = AdmitView(policy, fast.port_index, fast.eni_index, logged, tunnels, "host-1")
    view.ensure_tunnels(src, hosts)   # before the install kernel reads tunnel_of
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from smartnic.dataplane.actions import ToUnderlay
from smartnic.dataplane.admission import CompiledPolicy
from smartnic.dataplane.admission.decide import MAX_MTU_BYTES
from smartnic.dataplane.fastpath.tunnels import Tunnels
from smartnic.dataplane.kernel import kernel

TAGS = 1 << 16
GATEWAY_TAG = 0xFFFE  # compiler/sg.py: the edge's sender identity


class KernelView(NamedTuple):
    eni_mac: np.ndarray
    eni_subnet: np.ndarray
    eni_host: np.ndarray
    eni_router_mac: np.ndarray
    eni_port: np.ndarray
    eni_fast: np.ndarray
    eni_logged: np.ndarray
    ct_eni_of: np.ndarray
    tunnel_of: np.ndarray
    tag_eni: np.ndarray
    vni_keys: np.ndarray
    vni_vpc: np.ndarray
    vpc_igw: np.ndarray


class AdmitView:
    def __init__(self, policy: CompiledPolicy, port_index: Callable[[str], int],
                 eni_index: Callable[[str], int], logged: frozenset[str], tunnels: Tunnels,
                 host_id: str) -> None:
        program, tables = policy.program, policy.tables
        self.policy, self.program, self.tunnels = policy, program, tunnels
        self.host_id = host_id
        enis = [program.enis[e] for e in policy.eni_ids]
        local = [e.host_id == host_id for e in enis]
        vpcs = list(program.vpcs)
        self.port_eni = {port_index(f"vm:{e.id}"): n for n, e in enumerate(enis) if local[n]}
        tags = np.full(TAGS, -1, np.int64)
        for n, eni in enumerate(enis):
            if 0 < eni.tag < TAGS:
                tags[eni.tag] = n
        pairs = list(zip(enis, local, strict=True))
        vnis = sorted((vpc.vni, vpcs.index(vpc.id)) for vpc in program.vpcs.values())
        self.arrays = KernelView(
            eni_mac=tables.eni_mac.astype(np.int64), eni_subnet=tables.eni_subnet,
            eni_host=tables.eni_host,
            eni_router_mac=_ints(int.from_bytes(program.vpcs[e.vpc_id].router_mac, "big")
                                 for e in enis),
            eni_port=_ints(port_index(f"vm:{e.id}") if on else -1 for e, on in pairs),
            eni_fast=_ints(eni_index(e.id) if on else -1 for e, on in pairs),
            eni_logged=_ints(int(on and e.id in logged) for e, on in pairs),
            ct_eni_of=policy.ct_eni_of,
            tunnel_of=np.full((len(enis), len(program.hosts)), -1, np.int64),
            tag_eni=tags, vni_keys=_ints(v for v, _ in vnis), vni_vpc=_ints(n for _, n in vnis),
            vpc_igw=_ints(int(vpc.igw_id is not None) for vpc in program.vpcs.values()))
        self.min_mtu = min([MAX_MTU_BYTES, *(e.mtu for e in enis)])
        self._hosts = list(program.hosts.values())

    def ensure_tunnels(self, src: int, hosts: np.ndarray) -> None:
        """Templates for `src` sending to each of `hosts` (host numbers), made if missing."""
        row = self.arrays.tunnel_of[src]
        for host_number in np.unique(hosts[row[hosts] < 0]).tolist():
            host = self._hosts[host_number]
            eni = self.program.enis[self.policy.eni_ids[src]]
            tag = None if host.kind == "kernel" else eni.tag
            vni = self.program.vpcs[eni.vpc_id].vni
            row[host_number] = self.tunnels.index(
                ToUnderlay(host.id, host.underlay_ip, vni, tag, b"", b"", 0))


@kernel
def underlay_columns(v: KernelView, keys: np.ndarray, cand: np.ndarray, count: int,
                     receiver: np.ndarray, sender: np.ndarray, sender_tag: np.ndarray,
                     vpc: np.ndarray, from_gateway: np.ndarray) -> None:
    """decide_underlay's columns of the candidates, from key words w5 (VNI) and w6 (tags)."""
    for k in range(count):
        i = cand[k]
        tags, vni = np.int64(keys[i, 6]), np.int64(keys[i, 5]) & 0xFFFFFF
        tag = tags >> 16
        receiver[k], sender[k], sender_tag[k] = v.tag_eni[tags & 0xFFFF], v.tag_eni[tag], tag
        vpc[k] = v.vni_vpc[np.searchsorted(v.vni_keys, vni)]
        from_gateway[k] = v.vpc_igw[vpc[k]] if tag == GATEWAY_TAG else 0
        if tag == GATEWAY_TAG:
            sender[k] = -1


def _ints(values: object) -> np.ndarray:
    return np.fromiter(values, np.int64)  # type: ignore[call-overload]
