"""Strategies and runners of the property tests: small random SG/NACL policies over the T1
topology (see tests/conftest.py) and short packet sequences among eni-a, eni-b, eni-c."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from smartnic.clock import VirtualClock
from smartnic.model import Config
from smartnic.net.cloud import Cloud
from smartnic.net.journey import Journey
from smartnic.scenarios.sends import build_send

# Repeated entries weight the draws toward permissive rules, so that enough packets get
# through for the caches and connection tracking to matter.
PROTOS = ["all", "tcp", "udp", "all", "icmp", 47]
PORTS = ["0-65535", "80", "22", "1024-65535"]
SG_PEERS = ["0.0.0.0/0", "10.0.0.0/16", "0.0.0.0/0", "10.0.1.0/24", "10.0.1.10/32", "10.0.2.0/24",
            "sg-a", "sg-b", "sg-c"]
NACL_CIDRS = ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "10.0.1.20/32"]
ADDRESS = {"eni-a": "10.0.1.10", "eni-b": "10.0.1.20", "eni-c": "10.0.2.30"}
CROSS_HOST = [{"id": "host-1", "enis": ["eni-a", "eni-fw"]}, {"id": "host-2", "enis": ["eni-b"]},
              {"id": "host-3", "enis": ["eni-c"]}]
SAME_HOST = [{"id": "host-1", "enis": ["eni-a", "eni-b", "eni-c", "eni-fw"]},
             {"id": "host-2", "enis": []}, {"id": "host-3", "enis": []}]


def _with_l4(draw: st.DrawFn, rule: dict[str, Any]) -> dict[str, Any]:
    proto = draw(st.sampled_from(PROTOS))
    rule["proto"] = proto
    if proto in ("tcp", "udp"):
        rule["ports"] = draw(st.sampled_from(PORTS))
    elif proto == "icmp":
        rule["icmp_type"] = draw(st.sampled_from([-1, 8, 0]))
        rule["icmp_code"] = -1
    return rule


@st.composite
def sg_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 2))
    return [_with_l4(draw, {"peer": draw(st.sampled_from(SG_PEERS))}) for _ in range(count)]


ALL_OUT = [{"proto": "all", "peer": "0.0.0.0/0"}]


@st.composite
def nacl_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.sampled_from([10, 20, 30, 40, 100]), max_size=3, unique=True))
    rules = [_with_l4(draw, {"n": n, "action": draw(st.sampled_from(["allow", "deny"])),
                             "cidr": draw(st.sampled_from(NACL_CIDRS))}) for n in numbers]
    if draw(st.integers(0, 3)) != 3:  # usually leave a way through
        rules.append({"n": 200, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"})
    return rules


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    """A patch over T1: random rules for sg-a/b/c and a random NACL on subnet-1 and -2."""
    groups = [{"id": sg, "ingress": draw(sg_rules()),
               "egress": ALL_OUT if draw(st.sampled_from([True, True, True, False]))
               else draw(sg_rules())}
              for sg in ("sg-a", "sg-b", "sg-c")]
    nacls = [{"id": f"acl-{n}", "vpc": "vpc-a", "ingress": draw(nacl_rules()),
              "egress": draw(nacl_rules())} for n in (1, 2)]
    return {"security_groups": groups, "nacls": nacls,
            "subnets": [{"id": "subnet-1", "nacl": "acl-1"}, {"id": "subnet-2", "nacl": "acl-2"}]}


@st.composite
def sends(draw: st.DrawFn) -> dict[str, Any]:
    src = draw(st.sampled_from(sorted(ADDRESS)))
    dst = draw(st.sampled_from([e for e in sorted(ADDRESS) if e != src]))
    proto = draw(st.sampled_from(["udp", "tcp", "icmp", 47]))
    spec: dict[str, Any] = {"from": src, "dst": ADDRESS[dst], "proto": proto}
    if proto in ("tcp", "udp"):
        spec["sport"] = draw(st.sampled_from([40000, 80, 22]))
        spec["dport"] = draw(st.sampled_from([80, 40000, 22]))
    if proto == "tcp":
        spec["flags"] = draw(st.sampled_from(["S", "SA", "A", "PA", "FA", "R"]))
    if proto == "icmp":
        spec["icmp_type"] = draw(st.sampled_from([8, 0]))
        spec["icmp_id"] = draw(st.sampled_from([1, 2]))
    return spec


@dataclass(frozen=True)
class Step:
    kind: str  # send | wait | apply
    value: Any


REPLY_FLAGS = {"S": "SA", "SA": "A", "A": "A", "PA": "A", "FA": "FA", "R": "R"}


def reply_to(spec: dict[str, Any]) -> dict[str, Any]:
    """The answer the destination would send back."""
    owner = next(e for e, a in ADDRESS.items() if a == spec["dst"])
    reply = dict(spec, **{"from": owner, "dst": ADDRESS[spec["from"]]})
    if "sport" in spec:
        reply["sport"], reply["dport"] = spec["dport"], spec["sport"]
    if "flags" in spec:
        reply["flags"] = REPLY_FLAGS[spec["flags"]]
    if spec.get("icmp_type") == 8:
        reply["icmp_type"] = 0
    return reply


TCP_FLAGS = ["S", "SA", "A", "PA", "FA", "R"]
# TCP conversation pieces as (direction, flags): f = the flow's request side, r = its reply side
EPISODES = {
    "handshake": [("f", "S"), ("r", "SA"), ("f", "A")],
    "data": [("f", "PA"), ("r", "A"), ("r", "PA")],
    "fin": [("f", "FA"), ("r", "FA"), ("f", "A")],
    "rst": [("f", "R")],
    "reset_by_peer": [("r", "R")],
    "reopen_after_rst": [("f", "R"), ("f", "S"), ("r", "SA"), ("f", "A")],
    "reopen_after_fin": [("f", "FA"), ("r", "FA"), ("f", "A"), ("f", "S"), ("r", "SA")],
}


def _tcp(flow: dict[str, Any], direction: str, flags: str) -> Step:
    packet = flow if direction == "f" else reply_to(flow)
    return Step("send", packet | {"flags": flags})


@st.composite
def steps(draw: st.DrawFn, patches: st.SearchStrategy[dict[str, Any]],
          conversations: bool = False) -> list[Step]:
    """A few flows, then a sequence of their packets (requests and replies, repeated so the
    caches replay), waits that expire connections (SG-R24) and policy changes (SG-R22).
    With `conversations`, TCP flows go through handshakes, data, FIN/RST teardown and reopen."""
    flows = draw(st.lists(sends(), min_size=1, max_size=3))
    if conversations:
        flows = [flow | {"proto": "tcp", "sport": flow.get("sport", 40000),
                         "dport": flow.get("dport", 80)} for flow in flows]
        episode = st.builds(lambda flow, name: [_tcp(flow, d, f) for d, f in EPISODES[name]],
                            st.sampled_from(flows), st.sampled_from(sorted(EPISODES)))
    else:
        packets = [packet for flow in flows for packet in (flow, reply_to(flow))]
        episode = st.sampled_from(packets).map(lambda s: [Step("send", s)])
    one = st.one_of(
        episode, episode, *([episode] * 4 if conversations else []),
        st.sampled_from([0.5, 12.0, 31.0, 200.0]).map(lambda s: [Step("wait", s)]),
        patches.map(lambda p: [Step("apply", p)]),
    )
    return draw(st.lists(one, min_size=1, max_size=8).map(lambda groups: sum(groups, [])))


def outcome(journey: Journey) -> tuple[Any, ...]:
    """What must not depend on placement or caching: verdict, reason, delivered bytes."""
    drop = journey.drop
    return (journey.result, journey.to, drop.stage if drop else None,
            drop.reason if drop else None, tuple((r.to, r.frame) for r in journey.received))


def run(build: Callable[[dict[str, Any]], Config], policy: dict[str, Any], hosts: list[Any],
        sequence: list[Step], before_send: Callable[[Cloud], None] | None = None
        ) -> tuple[list[tuple[Any, ...]], Cloud]:
    clock = VirtualClock()
    cloud = Cloud(build({**policy, "hosts": hosts}), clock, responsive=False)
    results = []
    for step in sequence:
        if step.kind == "wait":
            clock.advance(step.value)
        elif step.kind == "apply":
            cloud.apply(build({**step.value, "hosts": hosts}))
        else:
            if before_send is not None:
                before_send(cloud)
            frame, = build_send(cloud.program, step.value).frames
            results.append(outcome(cloud.send_from_vm(step.value["from"], frame)))
    return results, cloud
