"""The columns of `PolicyTables` (one NamedTuple of numpy arrays, passable to numba).

Indices: ENIs, subnets, VPCs, hosts, NACLs and route tables are numbered in Program order.
Ranges `[start, end)` point into flat rule arrays. CIDR rows are (version, net_hi, net_lo,
mask_hi, mask_lo) as uint64; address rows (version, hi, lo).

ENIs      eni_vpc, eni_subnet, eni_host, eni_tag, eni_mtu, eni_check (src/dst check),
          eni_forwards (1: may send others' addresses, Program.may_forward), eni_pps (0: no
          limit), eni_mac, eni_addr[start,end) -> addrs
SGs       sg_range[E, 2 directions] -> rule columns r_*; r_kind 0 CIDR peers
          (r_peer -> peer_cidrs), 1 SG reference (r_peer -> member_addrs, r_tags ->
          member_tags); r_all_version 4/6 for 0.0.0.0/0 and ::/0 peers (SG-R20);
          open_responses[E, direction, version 4/6, proto tcp/udp]
Subnets   sub_vpc, sub_v4 (CIDR row), sub_v6 (CIDR row, version 0 if none), sub_nacl, sub_rtb
NACLs     nacl_range[N, 2 directions] -> n_* columns, sorted by rule number
Routes    rtb_range[T] -> t_* columns in longest-prefix-first order; t_kind ROUTE_*
VPCs      vpc_vni, vpc_cidr_range -> vpc_cidrs, vpc_dns (the v4 word pair of base+2);
          peered[V, V]
Owners    owner_keys[K, 3] (vpc << 8 | version, hi, lo) + owner_slots (hash) -> owner_eni
Hosts     host_ip, host_kind (0 engine, 1 plain kernel VXLAN)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DIRECTION_INGRESS = 0
DIRECTION_EGRESS = 1
ROUTE_LOCAL, ROUTE_ENI, ROUTE_PEERING, ROUTE_IGW, ROUTE_VGW, ROUTE_BLACKHOLE = range(6)
PEER_CIDRS, PEER_MEMBERS = 0, 1
ALL_PROTOCOLS = -1


class PolicyTables(NamedTuple):
    eni_vpc: np.ndarray
    eni_subnet: np.ndarray
    eni_host: np.ndarray
    eni_tag: np.ndarray
    eni_mtu: np.ndarray
    eni_check: np.ndarray
    eni_forwards: np.ndarray
    eni_pps: np.ndarray
    eni_mac: np.ndarray
    eni_addr: np.ndarray
    addrs: np.ndarray
    sg_range: np.ndarray
    r_proto: np.ndarray
    r_ports: np.ndarray
    r_icmp: np.ndarray
    r_kind: np.ndarray
    r_all_version: np.ndarray
    r_peer: np.ndarray
    r_tags: np.ndarray
    peer_cidrs: np.ndarray
    member_addrs: np.ndarray
    member_tags: np.ndarray
    open_responses: np.ndarray
    sub_vpc: np.ndarray
    sub_v4: np.ndarray
    sub_v6: np.ndarray
    sub_nacl: np.ndarray
    sub_rtb: np.ndarray
    nacl_range: np.ndarray
    n_number: np.ndarray
    n_allow: np.ndarray
    n_cidr: np.ndarray
    n_proto: np.ndarray
    n_ports: np.ndarray
    n_icmp: np.ndarray
    rtb_range: np.ndarray
    t_cidr: np.ndarray
    t_kind: np.ndarray
    t_eni: np.ndarray
    t_vpc: np.ndarray
    vpc_vni: np.ndarray
    vpc_cidr_range: np.ndarray
    vpc_cidrs: np.ndarray
    vpc_dns: np.ndarray
    peered: np.ndarray
    owner_keys: np.ndarray
    owner_slots: np.ndarray
    owner_eni: np.ndarray
    host_ip: np.ndarray
    host_kind: np.ndarray
