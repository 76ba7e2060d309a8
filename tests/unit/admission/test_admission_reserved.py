"""Admission never admits what stages/reserved.py ends (ADDR-R3/R4/R5, SG-R17, RT-R3).

With subnet-2 routed through the middlebox eni-fw (RT-R3) and everything on one host, the
kernels (and their Python twins) must punt every reserved, link-local and broadcast
destination to the slow path, and admit the middlebox's traffic exactly where the
stages deliver it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from smartnic.clock import VirtualClock
from smartnic.dataplane.admission import (
    ADMIT_LOCAL,
    O_CODE,
    O_DST,
    PUNT,
    CompiledPolicy,
    packet_columns,
)
from smartnic.dataplane.admission import route as rt
from smartnic.dataplane.slowpath import decide_from_vm
from smartnic.model import load_config
from smartnic.net.cloud import Cloud
from smartnic.packet import parse_frame
from smartnic.scenarios.sends import build_send
from tests.conftest import t1

MIDDLEBOX = {
    "route_tables": [{"id": "rtb-1", "vpc": "vpc-a", "routes": [
        {"dst": "10.0.2.0/24", "target": "eni-fw"},
        {"dst": "2001:db8:1234:1a02::/64", "target": "eni-fw"},
        {"dst": "0.0.0.0/0", "target": "eni-fw"}, {"dst": "::/0", "target": "eni-fw"}]}],
    "subnets": [{"id": "subnet-1", "route_table": "rtb-1"}],
    "security_groups": [{"id": "sg-fw", "ingress": [{"proto": "all", "peer": "0.0.0.0/0"},
                                                    {"proto": "all", "peer": "::/0"}]}],
    "hosts": [{"id": "host-1", "enis": ["eni-a", "eni-b", "eni-c", "eni-fw"]},
              {"id": "host-2", "enis": []}, {"id": "host-3", "enis": []}],
}
ENDED = ["10.0.2.0", "10.0.2.1", "10.0.2.2", "10.0.2.3", "10.0.2.255", "10.0.1.255",
         "2001:db8:1234:1a02::", "2001:db8:1234:1a02::1", "2001:db8:1234:1a02::3",
         "2001:db8:1234:1a02:ffff:ffff:ffff:ffff", "169.254.170.2", "fe80::1", "fd00:ec2::1",
         "255.255.255.255", "ff02::1"]
ROUTED = ["10.0.2.30", "10.0.2.4", "10.0.2.254", "2001:db8:1234:1a02::4", "192.0.2.1"]


def _decide(cloud: Cloud, dst: str) -> tuple[Any, Any, np.ndarray]:
    spec = {"from": "eni-a", "dst": dst, "proto": "udp", "sport": 40000, "dport": 9999}
    pkt = parse_frame(build_send(cloud.program, spec).frames[0])
    eni = cloud.program.enis["eni-a"]
    engine = cloud.hosts[eni.host_id]
    admission = CompiledPolicy(cloud.program, eni.host_id, engine.ctx.conntrack)
    meta, addr = packet_columns([pkt])
    src = np.array([admission.eni_index["eni-a"]], np.int64)
    out = admission.decide_vm(src, meta, addr, engine.ctx.clock.now())[0]
    return admission, decide_from_vm(engine.ctx, eni, pkt), out


@pytest.fixture(scope="module")
def cloud() -> Cloud:
    return Cloud(load_config(t1(MIDDLEBOX)), VirtualClock(), responsive=False)


@pytest.mark.parametrize("dst", ENDED)
def test_reserved_destinations_punt_to_the_stage_that_ends_them(cloud: Cloud, dst: str) -> None:
    _, expected, out = _decide(cloud, dst)
    assert expected.drop is not None and expected.drop.stage == "no_destination"
    assert expected.hops[-1].stage == "reserved_service"
    assert out[O_CODE] == PUNT


@pytest.mark.parametrize("dst", ROUTED)
def test_middlebox_traffic_is_admitted_where_the_stages_deliver_it(cloud: Cloud,
                                                                   dst: str) -> None:
    admission, expected, out = _decide(cloud, dst)
    assert expected.drop is None and expected.output.eni_id == "eni-fw"
    assert out[O_CODE] == ADMIT_LOCAL and admission.eni_ids[out[O_DST]] == "eni-fw"


def test_is_reserved_twin_agrees_with_the_kernel(cloud: Cloud) -> None:
    admission, _, _ = _decide(cloud, "10.0.2.30")
    tables, vpc = admission.tables, 0
    for dst in ENDED[:10] + ROUTED:
        pkt = parse_frame(build_send(cloud.program, {"from": "eni-a", "dst": dst,
                                                     "proto": "udp"}).frames[0])
        meta, addr = packet_columns([pkt])
        args = (tables, vpc, int(meta[0, 0]), addr[0, 2], addr[0, 3])
        assert rt.is_reserved(*args) == rt.is_reserved.py_func(*args) == (dst in ENDED)
