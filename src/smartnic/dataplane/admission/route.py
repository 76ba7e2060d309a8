"""Where a sent packet goes, for the admission kernels: stages route, src_nacl_egress, mapping.

Mirrors stages/route.py (layer-2 inside the subnet, else longest prefix: local, ENI
(middlebox), peering only to the peer's own addresses) and stages/nacl.py (the sender
subnet's outbound rules when the packet leaves it). Gateways, blackholes, missing routes
and addresses no ENI holds return -1: the slow path decides and explains them.
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.tables.layout import (
    DIRECTION_EGRESS,
    ROUTE_ENI,
    ROUTE_LOCAL,
    ROUTE_PEERING,
    PolicyTables,
)
from smartnic.dataplane.admission.match import (
    nacl_allows,
    owner_of,
    route_lookup,
    subnet_contains,
    vpc_contains,
)
from smartnic.dataplane.kernel import inline_kernel

O_DST, O_PATH, O_MTU = 1, 2, 3
MAX_MTU_BYTES = 9001
V4_HIGH_WORD = 0
V4_PREFIX = np.uint64(0xFFFF << 32)
LINK_LOCAL_V4 = np.uint64(0xFFFF << 32 | 0xA9FE << 16)  # 169.254.0.0/16
FD00_EC2 = np.uint64(0xFD00_0EC2 << 32)  # fd00:ec2::/32, high word


@inline_kernel
def is_service(t: PolicyTables, eni: int, meta: np.ndarray, addr: np.ndarray) -> bool:
    """VPC services, link-local, broadcast and multicast destinations (reserved stage)."""
    version, d_hi, d_lo = meta[0], addr[2], addr[3]
    if version == 4:
        low32 = d_lo & np.uint64(0xFFFFFFFF)
        vpc = t.eni_vpc[eni]
        if d_lo == t.vpc_dns[vpc, 1] or low32 == np.uint64(0xFFFFFFFF):
            return True
        if (d_lo & np.uint64(0xFFFFFFFFFFFF0000)) == LINK_LOCAL_V4:
            return True
        return (low32 >> np.uint64(28)) == np.uint64(0xE)
    if (d_hi >> np.uint64(56)) == np.uint64(0xFF):
        return True
    return (d_hi & np.uint64(0xFFFFFFFF00000000)) == FD00_EC2


@inline_kernel
def next_hop(t: PolicyTables, eni: int, meta: np.ndarray, addr: np.ndarray, probe: np.ndarray,
             out: np.ndarray) -> int:
    version, d_hi, d_lo = meta[0], addr[2], addr[3]
    subnet, vpc = t.eni_subnet[eni], t.eni_vpc[eni]
    if subnet_contains(t, subnet, version, d_hi, d_lo):
        dst, path = owner_of(t, vpc, version, d_hi, d_lo, probe), 1
    else:
        route = route_lookup(t, t.sub_rtb[subnet], version, d_hi, d_lo)
        if route < 0:
            return -1
        kind, path = t.t_kind[route], 1
        if kind == ROUTE_LOCAL:
            dst = owner_of(t, vpc, version, d_hi, d_lo, probe)
        elif kind == ROUTE_ENI:
            dst = t.t_eni[route]
        elif kind == ROUTE_PEERING:
            peer = t.t_vpc[route]
            if not vpc_contains(t, peer, version, d_hi, d_lo):
                return -1
            dst, path = owner_of(t, peer, version, d_hi, d_lo, probe), 4
        else:
            return -1
    if dst < 0:
        return -1
    if t.eni_subnet[dst] != subnet and not nacl_allows(
            t, t.sub_nacl[subnet], DIRECTION_EGRESS, version, d_hi, d_lo, meta[1], meta[3],
            meta[4], meta[5]):
        return -1
    out[O_DST] = dst
    out[O_PATH] = path
    out[O_MTU] = min(MAX_MTU_BYTES, t.eni_mtu[eni], t.eni_mtu[dst])
    return dst
