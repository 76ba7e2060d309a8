"""The benchmark's AWS-maximum policy loads, has the stated size, and its generated traffic
is what the harness says it is."""

from __future__ import annotations

import numpy as np
import pytest

from bench.flows import MAX_FLOWS, as_bytes, flow_frames
from bench.policy import CLIENT, GROUPS, SERVER, aws_max_config, policy_size
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.model import ConfigError, load_config
from smartnic.packet import l4_checksum, parse_frame


@pytest.fixture(scope="module")
def program() -> Program:
    return compile_program(load_config(aws_max_config()))


def test_policy_is_at_every_quota() -> None:
    assert policy_size(aws_max_config()) == {
        "groups_per_eni": 5, "ingress_units_per_group": 60, "egress_units_per_group": 60,
        "sg_references": 40, "prefix_list_rules": 10, "nacl_rules_per_direction": 20,
        "ipv4_routes": 50, "ipv6_routes": 50}


def test_compiled_enis_check_300_peers_per_direction(program: Program) -> None:
    for eni_id in (CLIENT["eni"], SERVER["eni"]):
        eni = program.enis[eni_id]
        assert len(eni.sg_ids) == GROUPS
        for rules in (eni.policy.ingress, eni.policy.egress):
            peers = sum(len(r.peer.cidrs) if r.peer.member_tags is None else 1 for r in rules)
            assert peers == 300
    table = program.route_tables["rtb-bench"]
    assert sum(r.origin == "static" for r in table.routes) == 100


def test_one_more_unit_is_refused_by_the_model() -> None:
    config = aws_max_config()
    config["security_groups"][0]["ingress"].append(
        {"proto": "tcp", "ports": "9", "peer": "198.51.100.0/24"})
    with pytest.raises(ConfigError, match="60"):
        load_config(config)


def test_flow_frames_are_distinct_valid_udp_of_the_asked_size(program: Program) -> None:
    flows = np.array([0, 1, 64511, 64512, MAX_FLOWS - 1])
    for frame_bytes in (64, 1500):
        frames = as_bytes(flow_frames(program, flows, frame_bytes))
        assert {len(f) for f in frames} == {frame_bytes - 4}
        parsed = [parse_frame(f) for f in frames]
        assert len({(p.sport, p.dport) for p in parsed}) == len(flows)
        for frame, pkt in zip(frames, parsed, strict=True):
            assert pkt.src_ip == int(np.uint32(0x0A00010A)) and pkt.proto == 17
            assert l4_checksum(4, pkt.src_ip, pkt.dst_ip, 17, frame[34:]) == 0
    with pytest.raises(ValueError):
        flow_frames(program, np.array([MAX_FLOWS]), 64)
