"""Policy matching over PolicyTables, as numba kernels (each `.py_func` is its twin).

Packets are given as (version, hi, lo) address words — see compiler/tables/encoding.py —
plus protocol, destination port and ICMP type/code. The semantics are those of the
readable stages: L4Match.matches (SG-R4..R6, NACL-R5), SgPeer.matches (SG-R7, SG-R9,
SG-R9a), CompiledNacl.evaluate (NACL-R2..R4), CompiledRouteTable.lookup (RT-R3..R6).

The per-rule tests take scalars, and loops index the table arrays themselves: handing an
array to a helper inside a rule loop made numba reference-count it on every iteration
(measured: 5.5 µs against 0.1 µs for 290 rules).
"""

from __future__ import annotations

import numpy as np

from smartnic.compiler.tables.layout import (
    ROUTE_ENI,
    ROUTE_LOCAL,
    ROUTE_PEERING,
    PolicyTables,
)
from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.kernel import inline_kernel

ANY = -1
UNKNOWN_TAG = 0


@inline_kernel
def cidr_ok(r_version: int, n_hi: np.uint64, n_lo: np.uint64, m_hi: np.uint64,
            m_lo: np.uint64, version: int, hi: np.uint64, lo: np.uint64) -> bool:
    return r_version == version and (hi & m_hi) == n_hi and (lo & m_lo) == n_lo


@inline_kernel
def in_cidr(rows: np.ndarray, i: int, version: int, hi: np.uint64, lo: np.uint64) -> bool:
    """Row `i` of a CIDR table holds the address (for single checks, not rule loops)."""
    return cidr_ok(rows[i, 0], rows[i, 1], rows[i, 2], rows[i, 3], rows[i, 4], version, hi, lo)


@inline_kernel
def l4_ok(r_proto: int, r_lo: int, r_hi: int, r_type: int, r_code: int, proto: int,
          dport: int, itype: int, icode: int) -> bool:
    if r_proto != ANY and r_proto != proto:
        return False
    if r_proto == 6 or r_proto == 17:
        return r_lo <= dport <= r_hi
    if r_proto == 1 or r_proto == 58:
        return (r_type == ANY or r_type == itype) and (r_code == ANY or r_code == icode)
    return True


@inline_kernel
def peer_matches(t: PolicyTables, rule: int, version: int, hi: np.uint64, lo: np.uint64,
                 sender_tag: int) -> bool:
    """`sender_tag` < 0: no identity to check (egress, or sent on this host by address)."""
    start, end = t.r_peer[rule, 0], t.r_peer[rule, 1]
    if t.r_kind[rule] == 0:
        cidrs = t.peer_cidrs
        for i in range(start, end):
            if cidr_ok(cidrs[i, 0], cidrs[i, 1], cidrs[i, 2], cidrs[i, 3], cidrs[i, 4],
                       version, hi, lo):
                return True
        return False
    member = False
    members = t.member_addrs
    for i in range(start, end):
        if members[i, 0] == version and members[i, 1] == hi and members[i, 2] == lo:
            member = True
            break
    if not member or sender_tag < 0 or sender_tag == UNKNOWN_TAG:
        return member
    tags = t.member_tags
    for i in range(t.r_tags[rule, 0], t.r_tags[rule, 1]):
        if tags[i] == sender_tag:
            return True
    return False  # SG-R9a: the member's address, but another interface sent it


@inline_kernel
def sg_match(t: PolicyTables, eni: int, direction: int, version: int, hi: np.uint64,
             lo: np.uint64, proto: int, dport: int, itype: int, icode: int,
             sender_tag: int) -> int:
    """0: no rule matches; 1: matched; 2: matched, and by an all-addresses peer (SG-R20)."""
    protos, ports, icmp, all_version = t.r_proto, t.r_ports, t.r_icmp, t.r_all_version
    found = 0
    for rule in range(t.sg_range[eni, direction, 0], t.sg_range[eni, direction, 1]):
        if not l4_ok(protos[rule], ports[rule, 0], ports[rule, 1], icmp[rule, 0],
                     icmp[rule, 1], proto, dport, itype, icode):
            continue
        if not peer_matches(t, rule, version, hi, lo, sender_tag):
            continue
        if all_version[rule] == version:
            return 2
        found = 1
    return found


@inline_kernel
def nacl_allows(t: PolicyTables, nacl: int, direction: int, version: int, hi: np.uint64,
                lo: np.uint64, proto: int, dport: int, itype: int, icode: int) -> bool:
    """First matching rule by number decides; none matching: the `*` deny (NACL-R3, R4)."""
    cidrs, protos, ports, icmp = t.n_cidr, t.n_proto, t.n_ports, t.n_icmp
    for rule in range(t.nacl_range[nacl, direction, 0], t.nacl_range[nacl, direction, 1]):
        if cidr_ok(cidrs[rule, 0], cidrs[rule, 1], cidrs[rule, 2], cidrs[rule, 3],
                   cidrs[rule, 4], version, hi, lo) and l4_ok(
                protos[rule], ports[rule, 0], ports[rule, 1], icmp[rule, 0], icmp[rule, 1],
                proto, dport, itype, icode):
            return t.n_allow[rule] == 1
    return False


@inline_kernel
def route_lookup(t: PolicyTables, table: int, version: int, hi: np.uint64,
                 lo: np.uint64) -> int:
    """The selected route's row (longest prefix first), or -1."""
    cidrs = t.t_cidr
    for route in range(t.rtb_range[table, 0], t.rtb_range[table, 1]):
        if cidr_ok(cidrs[route, 0], cidrs[route, 1], cidrs[route, 2], cidrs[route, 3],
                   cidrs[route, 4], version, hi, lo):
            return route
    return -1


@inline_kernel
def owner_of(t: PolicyTables, vpc: int, version: int, hi: np.uint64, lo: np.uint64,
             probe: np.ndarray) -> int:
    """The ENI holding this address in `vpc`, or -1; `probe` is a uint64[5] scratch row."""
    probe[0] = np.uint64(vpc << 8 | version)
    probe[1] = hi
    probe[2] = lo
    probe[3] = 0
    probe[4] = 0
    row = ix.find(t.owner_slots, t.owner_keys, probe)
    return -1 if row < 0 else int(t.owner_eni[row])


@inline_kernel
def owns(t: PolicyTables, eni: int, version: int, hi: np.uint64, lo: np.uint64) -> bool:
    addrs = t.addrs
    for i in range(t.eni_addr[eni, 0], t.eni_addr[eni, 1]):
        if addrs[i, 0] == version and addrs[i, 1] == hi and addrs[i, 2] == lo:
            return True
    return False


@inline_kernel
def subnet_contains(t: PolicyTables, subnet: int, version: int, hi: np.uint64,
                    lo: np.uint64) -> bool:
    if version == 4:
        return in_cidr(t.sub_v4, subnet, version, hi, lo)
    return t.sub_v6[subnet, 0] == 6 and in_cidr(t.sub_v6, subnet, version, hi, lo)


@inline_kernel
def vpc_contains(t: PolicyTables, vpc: int, version: int, hi: np.uint64, lo: np.uint64) -> bool:
    cidrs = t.vpc_cidrs
    for i in range(t.vpc_cidr_range[vpc, 0], t.vpc_cidr_range[vpc, 1]):
        if cidr_ok(cidrs[i, 0], cidrs[i, 1], cidrs[i, 2], cidrs[i, 3], cidrs[i, 4], version,
                   hi, lo):
            return True
    return False


@inline_kernel
def route_target(t: PolicyTables, eni: int, version: int, hi: np.uint64, lo: np.uint64,
                 probe: np.ndarray) -> int:
    """The ENI `eni`'s own route stage sends this destination to, or -1 (a gateway, no
    route, a blackhole, an address no ENI holds): intake.sender_route for the kernels."""
    subnet, vpc = t.eni_subnet[eni], t.eni_vpc[eni]
    if subnet_contains(t, subnet, version, hi, lo):
        return owner_of(t, vpc, version, hi, lo, probe)
    route = route_lookup(t, t.sub_rtb[subnet], version, hi, lo)
    if route < 0:
        return -1
    kind = t.t_kind[route]
    if kind == ROUTE_LOCAL:
        return owner_of(t, vpc, version, hi, lo, probe)
    if kind == ROUTE_ENI:
        return int(t.t_eni[route])
    if kind == ROUTE_PEERING and vpc_contains(t, t.t_vpc[route], version, hi, lo):
        return owner_of(t, t.t_vpc[route], version, hi, lo, probe)
    return -1


@inline_kernel
def inside_vpc_or_peers(t: PolicyTables, vpc: int, version: int, hi: np.uint64,
                        lo: np.uint64) -> bool:
    """The address belongs to `vpc` or to a VPC peered with it."""
    for other in range(t.peered.shape[0]):
        if (other == vpc or t.peered[vpc, other]) and vpc_contains(t, other, version, hi, lo):
            return True
    return False


@inline_kernel
def may_send_from(t: PolicyTables, eni: int, version: int, hi: np.uint64, lo: np.uint64,
                  probe: np.ndarray) -> bool:
    """Program.may_send_from: its own address; with the check off, an address no ENI of its
    VPC or a peered VPC holds, or any as a route target (a legitimate next hop, RT-R8)."""
    if owns(t, eni, version, hi, lo):
        return True
    if t.eni_check[eni]:
        return False
    if t.eni_forwards[eni]:
        return True
    vpc = t.eni_vpc[eni]
    for other in range(t.peered.shape[0]):
        if (other == vpc or t.peered[vpc, other]) and owner_of(t, other, version, hi, lo,
                                                                 probe) >= 0:
            return False
    return True
