"""Property: the fast path only replays. Host engines with the numba fast path and engines
without it, fed the same batches, emit the same frames on the same ports, count the same
drops, end with the same connection tracking and write the same flow-log records — for
random SG/NACL policies (changed mid-stream), clock jumps past timeouts, TCP handshakes,
teardown and reopen, UDP, ICMP, IPv6, replies, oversize packets, corrupted frames and
forged underlay traffic (identities, VNIs, inner sources, outer sources: hosts and the
edge), across hosts and on one host (architecture: 'the fast path only
replays what the slow path decided')."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prop_support import (
    ADDRESS,
    CROSS_HOST,
    EPISODES,
    SAME_HOST,
    policies,
    reply_to,
    sends,
)
from smartnic.model import Config
from smartnic.scenarios.sends import build_send
from tests.unit.dataplane.dp_support import underlay_frame
from tests.unit.fastpath.fp_world import FLOW_LOG, OPEN, World

ADDRESS6 = {"eni-a": "2001:db8:1234:1a01::10", "eni-b": "2001:db8:1234:1a01::20",
            "eni-c": "2001:db8:1234:1a02::30"}


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """prop_support's random policies or an open one (so that flows live long enough to be
    replayed), sometimes open to IPv6, with a small-MTU ENI, flow-logged, with tight
    new-flow allowances (a few connection openings a second) on some ENIs."""
    policy: dict[str, Any] = copy.deepcopy(draw(st.one_of(policies(), st.just(OPEN))))
    if draw(st.booleans()):
        for group in policy["security_groups"]:
            for direction in ("ingress", "egress"):
                group[direction] = [*group[direction], {"proto": "all", "peer": "::/0"}]
    enis: dict[str, dict[str, Any]] = {}
    if draw(st.booleans()):
        enis["eni-c"] = {"id": "eni-c", "mtu": 1500}
    for eni in draw(st.lists(st.sampled_from(sorted(ADDRESS)), max_size=3, unique=True)):
        limit = draw(st.sampled_from([1, 2, 3]))
        enis[eni] = enis.get(eni, {"id": eni}) | {"limits": {"new_flows": limit}}
    if enis:
        policy["enis"] = list(enis.values())
    return {**policy, **(FLOW_LOG if draw(st.booleans()) else {})}


@st.composite
def packet(draw: st.DrawFn, flows: list[dict[str, Any]]) -> dict[str, Any]:
    flow = draw(st.sampled_from(flows))
    spec = flow if draw(st.booleans()) else reply_to(flow)
    if draw(st.integers(0, 5)) == 0:
        spec = spec | {"dst": ADDRESS6[_owner(spec["dst"])]} if spec["proto"] != "icmp" else spec
    if draw(st.integers(0, 5)) == 0:
        spec = spec | {"length": draw(st.sampled_from([60, 1400, 2000, 3000])),
                       "df": draw(st.booleans())}
    return spec


def _owner(address: str) -> str:
    return next(e for e, a in ADDRESS.items() if a == address)


@st.composite
def batch_step(draw: st.DrawFn, flows: list[dict[str, Any]]) -> tuple[str, Any]:
    """A few packets (conversations for TCP flows), in one batch per sender, in order."""
    specs: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        flow = draw(st.sampled_from(flows))
        if flow["proto"] == "tcp" and draw(st.booleans()):
            name = draw(st.sampled_from(sorted(EPISODES)))
            specs += [(flow if d == "f" else reply_to(flow)) | {"flags": f}
                      for d, f in EPISODES[name]]
        else:
            specs += [draw(packet(flows))] * draw(st.integers(1, 4))
    corrupt = draw(st.lists(st.integers(0, 200), max_size=2))
    return "batch", (specs, corrupt)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    config = draw(configs())
    flows = draw(st.lists(sends(), min_size=1, max_size=3))
    step = st.one_of(
        batch_step(flows), batch_step(flows), batch_step(flows),
        st.sampled_from([0.5, 12.0, 31.0, 65.0, 200.0]).map(lambda s: ("wait", s)),
        configs().map(lambda c: ("apply", c)),
        st.tuples(st.sampled_from([0, 1, 0xFFFE, 4321, "eni-fw", "eni-c"]),
                  st.sampled_from(["vxlan", "geneve"]), st.booleans(),
                  st.sampled_from(["10.0.1.10", "10.0.1.20", "10.0.2.30", "10.0.3.40",
                                   "198.51.100.9"]),
                  st.sampled_from(["host-1", "host-1", "host-3", "edge"]),
                  st.sampled_from(["eni-b", "eni-c"])).map(lambda forged: ("forge", forged)),
    )
    return config, draw(st.lists(step, min_size=2, max_size=10))


def _frames(world: World, specs: list[dict[str, Any]],
            corrupt: list[int]) -> list[tuple[str, list[bytes]]]:
    batches: list[tuple[str, list[bytes]]] = []
    for spec in specs:
        frames = list(build_send(world.program, spec).frames)
        if batches and batches[-1][0] == spec["from"]:
            batches[-1][1].extend(frames)
        else:
            batches.append((spec["from"], frames))
    for position in corrupt:  # a flipped byte: header, checksum or payload
        sender, frames = batches[position % len(batches)]
        frame = bytearray(frames[0])
        frame[position % len(frame)] ^= 0x5A
        frames[0] = bytes(frame)
    return batches


def _forged(world: World, tag: int | str, kind: str, known_vni: bool, src: str,
            outer: str, to: str) -> tuple[str, list[bytes]]:
    """What `to`'s host might receive on the underlay from `outer` (a host or the edge)
    claiming an identity (1: eni-a's, or an ENI's by id) and any inner source."""
    program = world.program
    inner = build_send(program, {"from": "eni-a", "src": src, "dst": ADDRESS[to],
                                 "proto": "udp", "sport": 40000, "dport": 80}).frames[0]
    receiver = program.enis[to]
    inner = receiver.mac + program.vpcs[receiver.vpc_id].router_mac + inner[12:]
    vni = program.vpcs["vpc-a"].vni if known_vni else 77
    source = (program.edge_underlay_ip if outer == "edge"
              else program.hosts[outer].underlay_ip)
    identity = (program.enis["eni-a"].tag if tag == 1 else
                program.enis[tag].tag if isinstance(tag, str) else tag)
    return receiver.host_id, [underlay_frame(
        None, inner, src_ip=source, dst_ip=program.hosts[receiver.host_id].underlay_ip,  # type: ignore[arg-type]
        vni=vni, sender_tag=identity, kind=kind)] * 2


def _run(build: Callable[..., Config], config: dict[str, Any], hosts: list[Any],
         steps: list[tuple[str, Any]], fastpath: bool) -> tuple[list[Any], dict[str, Any]]:
    world = World(build({**config, "hosts": hosts}), fastpath=fastpath)
    results: list[Any] = []
    for kind, value in steps:
        if kind == "wait":
            world.clock.advance(value)
            for engine in world.engines.values():
                engine.tick()
        elif kind == "apply":
            world.apply(build({**value, "hosts": hosts}))
        elif kind == "forge":
            host, frames = _forged(world, *value)
            results.append(world.engines[host].process_underlay_batch(frames))
        else:
            results.append(world.step(_frames(world, *value)))
    return results, world.state()


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=scenario(), same_host=st.booleans())
def test_fast_path_equals_python_path(build_t1: Callable[..., Config],
                                      case: tuple[dict[str, Any], list[tuple[str, Any]]],
                                      same_host: bool) -> None:
    config, steps = case
    hosts = SAME_HOST if same_host else CROSS_HOST
    fast, fast_state = _run(build_t1, config, hosts, steps, fastpath=True)
    slow, slow_state = _run(build_t1, config, hosts, steps, fastpath=False)
    assert fast == slow
    assert fast_state == slow_state
