"""Where a sent packet goes, for the admission kernels: stages route, src_nacl_egress, mapping.

Mirrors stages/route.py (layer-2 inside the subnet, else longest prefix: local, ENI
(middlebox), peering only to the peer's own addresses) and stages/nacl.py (the sender
subnet's outbound rules when the packet leaves it). Gateways, blackholes, missing routes
and addresses no ENI holds return -1: the slow path decides and explains them. So do the
destinations stages/reserved.py ends before any routing: VPC services, link-local and
AWS-reserved ranges, broadcast and multicast (`is_service`), and the reserved addresses of
the VPC's subnets (ADDR-R3/R4) — no ENI holds those, and a middlebox route to a whole
subnet (RT-R3) must not carry them (`is_reserved`).
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
FE80_LINK_LOCAL = np.uint64(0xFE80 << 48)  # fe80::/10, high word
FE80_MASK = np.uint64(0xFFC0 << 48)
RESERVED_OFFSETS = np.uint64(3)  # network, router, DNS (+2), future (+3) (ADDR-R3/R4)


@inline_kernel
def is_service(t: PolicyTables, eni: int, meta: np.ndarray, addr: np.ndarray) -> bool:
    """VPC services, link-local and AWS-reserved ranges, broadcast and multicast
    destinations (stages/reserved.py)."""
    version, d_hi, d_lo = meta[0], addr[2], addr[3]
    if version == 4:
        low32 = d_lo & np.uint64(0xFFFFFFFF)
        vpc = t.eni_vpc[eni]
        if d_lo == t.vpc_dns[vpc, 1] or low32 == np.uint64(0xFFFFFFFF):
            return True
        if (d_lo & np.uint64(0xFFFFFFFFFFFF0000)) == LINK_LOCAL_V4:
            return True
        return (low32 >> np.uint64(28)) == np.uint64(0xE)
    if (d_hi >> np.uint64(56)) == np.uint64(0xFF) or (d_hi & FE80_MASK) == FE80_LINK_LOCAL:
        return True
    return (d_hi & np.uint64(0xFFFFFFFF00000000)) == FD00_EC2


@inline_kernel
def is_reserved(t: PolicyTables, vpc: int, version: int, d_hi: np.uint64,
                d_lo: np.uint64) -> bool:
    """A reserved address of a subnet of `vpc`: its first four or its last (ADDR-R3/R4).
    Subnets are /16../28 or /64, so the host part lies in the low word."""
    rows = t.sub_v4 if version == 4 else t.sub_v6
    for subnet in range(t.sub_vpc.shape[0]):
        if t.sub_vpc[subnet] != vpc or not subnet_contains(t, subnet, version, d_hi, d_lo):
            continue
        host_mask = ~rows[subnet, 4]
        host = d_lo & host_mask
        return host <= RESERVED_OFFSETS or host == host_mask
    return False


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
            if is_reserved(t, vpc, version, d_hi, d_lo):
                return -1
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
