"""Security-group columns of PolicyTables: every ENI's union allow set, flattened (SG-R8)."""

from __future__ import annotations

import numpy as np

from smartnic.compiler.program import Program
from smartnic.compiler.sg import CompiledSgRule
from smartnic.compiler.tables.encoding import address_words, cidr_words, l4_columns
from smartnic.compiler.views import EniView

VERSION_INDEX = {4: 0, 6: 1}
PROTO_INDEX = {6: 0, 17: 1}


def sg_columns(enis: list[EniView], program: Program) -> dict[str, np.ndarray]:
    rules: list[CompiledSgRule] = []
    ranges = []
    for eni in enis:
        per_direction = []
        for direction in ("ingress", "egress"):
            own = eni.policy.rules(direction)
            per_direction.append((len(rules), len(rules) + len(own)))
            rules += list(own)
        ranges.append(per_direction)
    peers = _peers(rules)
    proto, ports, icmp = l4_columns([r.l4 for r in rules])
    return {
        "sg_range": np.array(ranges, np.int64).reshape(-1, 2, 2),
        "r_proto": proto, "r_ports": ports, "r_icmp": icmp,
        "r_kind": np.array([r.peer.member_tags is not None for r in rules], np.int64),
        "r_all_version": np.array([r.peer.all_version or 0 for r in rules], np.int64),
        **peers,
        "open_responses": _open_responses(enis),
    }


def _peers(rules: list[CompiledSgRule]) -> dict[str, np.ndarray]:
    cidrs: list[list[int]] = []
    addresses: list[list[int]] = []
    tags: list[int] = []
    peer_ranges, tag_ranges = [], []
    for rule in rules:
        peer = rule.peer
        if peer.member_tags is None:
            peer_ranges.append((len(cidrs), len(cidrs) + len(peer.cidrs)))
            cidrs += [[c.version, *cidr_words(c)] for c in peer.cidrs]
            tag_ranges.append((0, 0))
            continue
        members = sorted(peer.member_addresses)
        peer_ranges.append((len(addresses), len(addresses) + len(members)))
        addresses += [[version, *address_words(version, value)] for version, value in members]
        tag_ranges.append((len(tags), len(tags) + len(peer.member_tags)))
        tags += sorted(peer.member_tags)
    return {
        "r_peer": np.array(peer_ranges, np.int64).reshape(-1, 2),
        "r_tags": np.array(tag_ranges, np.int64).reshape(-1, 2),
        "peer_cidrs": np.array(cidrs, np.uint64).reshape(-1, 5),
        "member_addrs": np.array(addresses, np.uint64).reshape(-1, 3),
        "member_tags": np.array(tags, np.int64),
    }


def _open_responses(enis: list[EniView]) -> np.ndarray:
    table = np.zeros((len(enis), 2, 2, 2), np.uint8)
    for index, eni in enumerate(enis):
        for direction, version, proto in eni.policy.open_responses:
            d = 0 if direction == "ingress" else 1
            table[index, d, VERSION_INDEX[version], PROTO_INDEX[proto]] = 1
    return table
