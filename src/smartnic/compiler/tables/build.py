"""Program -> PolicyTables (see layout.py for the columns)."""

from __future__ import annotations

import numpy as np

from smartnic.compiler import routes as rk
from smartnic.compiler.nacl import CompiledNaclRule
from smartnic.compiler.program import Program
from smartnic.compiler.routes import RouteEntry
from smartnic.compiler.tables.encoding import address_words, cidr_row, l4_columns
from smartnic.compiler.tables.layout import PolicyTables
from smartnic.compiler.tables.sg import sg_columns
from smartnic.dataplane.conntrack import index as ix

ROUTE_KINDS = {rk.KIND_LOCAL: 0, rk.KIND_ENI: 1, rk.KIND_PEERING: 2, rk.KIND_IGW: 3,
               rk.KIND_VGW: 4, rk.KIND_BLACKHOLE: 5}


def build_tables(program: Program) -> PolicyTables:
    enis = list(program.enis.values())
    eni_index = {e.id: i for i, e in enumerate(enis)}
    columns: dict[str, np.ndarray] = {}
    columns |= _enis(program, eni_index)
    columns |= sg_columns(enis, program)
    columns |= _subnets_and_nacls(program)
    columns |= _routes(program, eni_index)
    columns |= _vpcs(program)
    columns |= _owners(program, eni_index)
    columns |= _hosts(program)
    return PolicyTables(**columns)


def _u64(rows: list[list[int]], width: int) -> np.ndarray:
    return np.array(rows, np.uint64).reshape(-1, width)


def _enis(program: Program, eni_index: dict[str, int]) -> dict[str, np.ndarray]:
    enis = list(program.enis.values())
    subnets, hosts = list(program.subnets), list(program.hosts)
    vpcs = list(program.vpcs)
    addrs: list[list[int]] = []
    ranges: list[tuple[int, int]] = []
    for eni in enis:
        owned = [(4, a) for a in sorted(eni.ipv4)] + [(6, a) for a in sorted(eni.ipv6)]
        ranges.append((len(addrs), len(addrs) + len(owned)))
        addrs += [[version, *address_words(version, value)] for version, value in owned]
    return {
        "eni_vpc": np.array([vpcs.index(e.vpc_id) for e in enis], np.int64),
        "eni_subnet": np.array([subnets.index(e.subnet_id) for e in enis], np.int64),
        "eni_host": np.array([hosts.index(e.host_id) for e in enis], np.int64),
        "eni_tag": np.array([e.tag for e in enis], np.int64),
        "eni_mtu": np.array([e.mtu for e in enis], np.int64),
        "eni_check": np.array([e.src_dst_check for e in enis], np.uint8),
        "eni_forwards": np.array([program.may_forward(e) for e in enis], np.uint8),
        "eni_pps": np.array([e.pps_limit or 0 for e in enis], np.int64),
        "eni_mac": np.array([int.from_bytes(e.mac, "big") for e in enis], np.uint64),
        "eni_addr": np.array(ranges, np.int64).reshape(-1, 2),
        "addrs": _u64(addrs, 3),
    }


def _subnets_and_nacls(program: Program) -> dict[str, np.ndarray]:
    nacls = list(program.nacls.values())
    nacl_ids = [n.id for n in nacls]
    tables, vpcs = list(program.route_tables), list(program.vpcs)
    subs = list(program.subnets.values())
    rows: list[CompiledNaclRule] = []
    ranges: list[list[tuple[int, int]]] = []
    for nacl in nacls:
        per_direction: list[tuple[int, int]] = []
        for rules in (nacl.ingress, nacl.egress):
            per_direction.append((len(rows), len(rows) + len(rules)))
            rows += list(rules)
        ranges.append(per_direction)
    proto, ports, icmp = l4_columns([r.l4 for r in rows])
    no_v6 = [0, 0, 0, 0, 0]
    return {
        "sub_vpc": np.array([vpcs.index(s.vpc_id) for s in subs], np.int64),
        "sub_v4": _u64([cidr_row(s.cidr) for s in subs], 5),
        "sub_v6": _u64([cidr_row(s.ipv6_cidr) if s.ipv6_cidr else no_v6 for s in subs], 5),
        "sub_nacl": np.array([nacl_ids.index(s.nacl_id) for s in subs], np.int64),
        "sub_rtb": np.array([tables.index(s.route_table_id) for s in subs], np.int64),
        "nacl_range": np.array(ranges, np.int64).reshape(-1, 2, 2),
        "n_number": np.array([r.number for r in rows], np.int64),
        "n_allow": np.array([r.allow for r in rows], np.uint8),
        "n_cidr": _u64([cidr_row(r.cidr) for r in rows], 5),
        "n_proto": proto, "n_ports": ports, "n_icmp": icmp,
    }


def _routes(program: Program, eni_index: dict[str, int]) -> dict[str, np.ndarray]:
    vpcs = list(program.vpcs)
    entries: list[RouteEntry] = []
    ranges: list[tuple[int, int]] = []
    for table in program.route_tables.values():
        ranges.append((len(entries), len(entries) + len(table.routes)))
        entries += list(table.routes)
    return {
        "rtb_range": np.array(ranges, np.int64).reshape(-1, 2),
        "t_cidr": _u64([cidr_row(e.cidr) for e in entries], 5),
        "t_kind": np.array([ROUTE_KINDS[e.kind] for e in entries], np.int64),
        "t_eni": np.array([eni_index.get(e.target_eni or "", -1) for e in entries], np.int64),
        "t_vpc": np.array([vpcs.index(e.peer_vpc) if e.peer_vpc else -1 for e in entries],
                          np.int64),
    }


def _vpcs(program: Program) -> dict[str, np.ndarray]:
    views = list(program.vpcs.values())
    ids = [v.id for v in views]
    cidrs: list[list[int]] = []
    ranges: list[tuple[int, int]] = []
    for vpc in views:
        blocks = [*vpc.cidrs, *vpc.ipv6_cidrs]
        ranges.append((len(cidrs), len(cidrs) + len(blocks)))
        cidrs += [cidr_row(c) for c in blocks]
    peered = np.zeros((len(views), len(views)), np.uint8)
    for pair in program.peerings:
        a, b = sorted(pair)
        peered[ids.index(a), ids.index(b)] = peered[ids.index(b), ids.index(a)] = 1
    return {
        "vpc_vni": np.array([v.vni for v in views], np.int64),
        "vpc_cidr_range": np.array(ranges, np.int64).reshape(-1, 2),
        "vpc_cidrs": _u64(cidrs, 5),
        "vpc_dns": _u64([list(address_words(4, v.dns_ipv4)) for v in views], 2),
        "peered": peered,
    }


def _owners(program: Program, eni_index: dict[str, int]) -> dict[str, np.ndarray]:
    vpcs = list(program.vpcs)
    keys, owners = [], []
    for (vpc_id, version, address), eni_id in program.address_owner.items():
        keys.append([vpcs.index(vpc_id) << 8 | version, *address_words(version, address), 0, 0])
        owners.append(eni_index[eni_id])
    owner_keys = _u64(keys, 5)
    slots = np.full(1 << max(4, (2 * len(keys)).bit_length()), ix.EMPTY, np.int32)
    ix.rebuild(slots, owner_keys, np.ones(len(keys), np.uint8))
    return {"owner_keys": owner_keys, "owner_slots": slots,
            "owner_eni": np.array(owners, np.int64)}


def _hosts(program: Program) -> dict[str, np.ndarray]:
    hosts = list(program.hosts.values())
    return {"host_ip": np.array([h.underlay_ip for h in hosts], np.int64),
            "host_kind": np.array([h.kind == "kernel" for h in hosts], np.int64)}
