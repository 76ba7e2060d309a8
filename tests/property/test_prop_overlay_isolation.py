"""Property: nothing forged on the underlay reaches a VM it must not (stage `decap`).

Random VXLAN/Geneve datagrams — any VNI, sender identity, inner source and destination
addresses and MACs, from the real hosts, a kernel VXLAN host, the edge or a stranger — are
thrown at host-2's engine, with the fast path and admission and with the Python path
alone, over IPv4 and IPv6. The oracle below is written from the config dict alone
(ipaddress, no smartnic code): a datagram may reach ENI X only if its outer source is
where the sender lives, the sender belongs to the VNI's VPC, may send from the inner
source (its own address; with the check off, an address nobody in reach holds, or
anyone's as a route target), and its own route table sends the inner destination to X
(across a peering only from inside its VPC); from the edge only internet sources for an
address of X in a VPC with an internet gateway. Policies are open, so a legitimate
datagram is delivered: the oracle is exact both ways. Both engines emit the same frames
and count the same drops.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import load_config
from smartnic.ports.memory import MemoryPort
from tests.unit.dataplane.dp_support import underlay_frame
from tests.unit.dataplane.isolation_world import CONFIG

RECEIVING_HOST = "host-2"
EDGE, STRANGER = "edge", "stranger"
GATEWAY_TAG = 0xFFFE  # the edge's identity on the overlay (compiler/sg.py)


# -- the oracle: from CONFIG alone ---------------------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _net(text: str) -> Network:
    return ipaddress.ip_network(text)


def _addr(text: str) -> Address:
    return ipaddress.ip_address(text)


ENIS = {e["id"]: e for e in CONFIG["enis"]}
OWNED = {e["id"]: {_addr(a) for a in [*e["ips"], *e.get("ipv6", [])]} for e in CONFIG["enis"]}
SUBNETS = {s["id"]: s for s in CONFIG["subnets"]}
VPC_CIDRS = {v["id"]: [_net(c) for c in [*v["cidrs"], *v.get("ipv6_cidrs", [])]]
             for v in CONFIG["vpcs"]}
HOST_OF = {eni: h["id"] for h in CONFIG["hosts"] for eni in h["enis"]}
KERNEL_HOSTS = {h["id"] for h in CONFIG["hosts"] if h.get("kind") == "kernel"}
PEERS = {(p["a"], p["b"]) for p in CONFIG["peerings"]} | {
    (p["b"], p["a"]) for p in CONFIG["peerings"]}
PEERING_VPCS = {p["id"]: (p["a"], p["b"]) for p in CONFIG["peerings"]}
ROUTE_TARGETS = {r["target"] for t in CONFIG["route_tables"] for r in t["routes"]}
IGW_VPCS = {g["vpc"] for g in CONFIG["igws"]}


def vpc_of(eni_id: str) -> str:
    return SUBNETS[ENIS[eni_id]["subnet"]]["vpc"]


def in_reach(vpc: str) -> list[str]:
    return [vpc, *(b for a, b in PEERS if a == vpc)]


def holder(vpc: str, address: Address) -> str | None:
    return next((e for e in ENIS if vpc_of(e) == vpc and address in OWNED[e]), None)


def may_send_from(eni_id: str, address: Address) -> bool:
    eni = ENIS[eni_id]
    if address in OWNED[eni_id]:
        return True
    if eni.get("src_dst_check", True):
        return False
    return eni_id in ROUTE_TARGETS or all(holder(v, address) is None
                                          for v in in_reach(vpc_of(eni_id)))


def route_table_of(subnet_id: str) -> dict[str, Any]:
    subnet = SUBNETS[subnet_id]
    table_id = subnet.get("route_table") or next(
        v["main_route_table"] for v in CONFIG["vpcs"] if v["id"] == subnet["vpc"])
    return next(t for t in CONFIG["route_tables"] if t["id"] == table_id)


def next_hop(eni_id: str, address: Address) -> str | None:
    """The ENI (or gateway) the sender's own route table sends `address` to (RT-R3, R9,
    R10); a network of the other family never matches."""
    subnet, vpc = SUBNETS[ENIS[eni_id]["subnet"]], vpc_of(eni_id)
    blocks = [_net(c) for c in (subnet["cidr"], subnet.get("ipv6_cidr")) if c]
    if any(address in n for n in blocks if n.version == address.version):
        return holder(vpc, address)
    routes = [(_net(r["dst"]), r["target"]) for r in route_table_of(subnet["id"])["routes"]]
    routes += [(cidr, "local") for cidr in VPC_CIDRS[vpc]]
    matching = [(n.prefixlen, target != "local", target) for n, target in routes
                if n.version == address.version and address in n]
    if not matching:
        return None
    target = max(matching)[2]  # longest prefix; a static route wins a tie with local
    if target == "local":
        return holder(vpc, address)
    if target in PEERING_VPCS:
        peer = next(v for v in PEERING_VPCS[target] if v != vpc)
        return holder(peer, address) if inside(address, [peer]) else None
    return target


def inside(address: Address, vpcs: list[str]) -> bool:
    return any(n.version == address.version and address in n
               for v in vpcs for n in VPC_CIDRS[v])


def may_reach(outer: str, vni_vpc: str | None, identity: int | None, src_mac: str,
              src_text: str, dst_text: str, receiver: str | None) -> bool:
    """Whether a datagram with these facts may be delivered to `receiver` (open policies)."""
    src, dst = _addr(src_text), _addr(dst_text)
    if receiver is None or HOST_OF[receiver] != RECEIVING_HOST or vni_vpc is None:
        return False
    if dst not in OWNED[receiver]:
        return False  # every receiver of host-2 keeps its source/destination check
    if outer == EDGE:
        return (identity == GATEWAY_TAG and vni_vpc in IGW_VPCS and vpc_of(receiver) == vni_vpc
                and not inside(src, in_reach(vni_vpc)))
    if outer == STRANGER or identity == GATEWAY_TAG:
        return False
    if identity in (None, 0):
        if outer not in KERNEL_HOSTS:
            return False
        sender = next((e for e in ENIS if ENIS[e]["mac"] == src_mac), None)
    else:
        sender = next((e for e in ENIS if TAGS[e] == identity), None)
    if sender is None or HOST_OF[sender] != outer or vpc_of(sender) != vni_vpc:
        return False
    if not may_send_from(sender, src) or next_hop(sender, dst) != receiver:
        return False
    return vpc_of(receiver) == vni_vpc or any(
        ipaddress.ip_address(src) in n for n in VPC_CIDRS[vni_vpc])


# -- the engines ------------------------------------------------------------------------

PROGRAM = compile_program(load_config(CONFIG), 1)
TAGS = {e.id: e.tag for e in PROGRAM.enis.values()}
VNIS = {v.vni: v.id for v in PROGRAM.vpcs.values()}
UNDERLAY = {**{h.id: h.underlay_ip for h in PROGRAM.hosts.values()},
            EDGE: PROGRAM.edge_underlay_ip, STRANGER: int(ipaddress.ip_address("198.18.9.9"))}
MACS = [e["mac"] for e in CONFIG["enis"]] + ["02:99:99:99:99:99"]
ADDRESSES = {
    4: [ip for e in CONFIG["enis"] for ip in e["ips"]] + [
        "10.0.1.99", "10.0.1.1", "10.1.1.99", "203.0.113.5", "54.0.0.40"],
    6: [ip for e in CONFIG["enis"] for ip in e["ipv6"]] + [
        "2001:db8:a:1::99", "2001:db8:a:1::1", "2001:db8:b:1::99", "2001:db8:f00d::5"]}


def _first(eni_id: str, version: int) -> list[str]:
    return (ENIS[eni_id]["ips"] if version == 4 else ENIS[eni_id]["ipv6"])[:1]


@st.composite
def datagrams(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(st.sampled_from([4, 4, 6]))
    return {
        "version": version,
        "outer": draw(st.sampled_from(sorted(UNDERLAY))),
        "kind": draw(st.sampled_from(["vxlan", "geneve"])),
        "vni": draw(st.sampled_from([*sorted(VNIS), 4242])),
        "identity": draw(st.sampled_from([None, 0, GATEWAY_TAG, 0xFFFD, *TAGS.values()])),
        "dst_mac": draw(st.sampled_from(MACS)),
        "src_mac": draw(st.sampled_from(MACS)),
        "src": draw(st.sampled_from(ADDRESSES[version])),
        "dst": draw(st.sampled_from(ADDRESSES[version])),
        "tcp": draw(st.booleans()),
        "sport": draw(st.sampled_from([40000, 40001])),
        "copies": draw(st.integers(1, 3)),
    }


def _plausible(draw: st.DrawFn) -> dict[str, Any]:
    """A datagram close to a legitimate one (a real sender, its VNI and host), mutated."""
    sender = draw(st.sampled_from(sorted(ENIS)))
    datagram = draw(datagrams())
    vni = next(v for v, vpc in VNIS.items() if vpc == vpc_of(sender))
    receiver = draw(st.sampled_from([e for e in ENIS if HOST_OF[e] == RECEIVING_HOST]))
    return datagram | {
        "outer": HOST_OF[sender], "vni": vni, "src_mac": ENIS[sender]["mac"],
        "identity": None if HOST_OF[sender] in KERNEL_HOSTS else TAGS[sender],
        "dst_mac": ENIS[receiver]["mac"],
        "src": draw(st.sampled_from([*_first(sender, datagram["version"]), datagram["src"]])),
        "dst": draw(st.sampled_from([*_first(receiver, datagram["version"]),
                                     datagram["dst"]]))}


plausible = st.composite(_plausible)


def _frame(d: dict[str, Any]) -> bytes:
    l4 = TCP(sport=d["sport"], dport=80, flags="S") if d["tcp"] else UDP(sport=d["sport"],
                                                                        dport=80)
    ip = (IP if d["version"] == 4 else IPv6)(src=d["src"], dst=d["dst"])
    inner = bytes(Ether(dst=d["dst_mac"], src=d["src_mac"]) / ip / l4 / b"forged?")
    return underlay_frame(None, inner, src_ip=UNDERLAY[d["outer"]],  # type: ignore[arg-type]
                          dst_ip=UNDERLAY[RECEIVING_HOST], vni=d["vni"],
                          sender_tag=d["identity"], kind=d["kind"])


def _engine(fastpath: bool) -> HostEngine:
    return HostEngine(RECEIVING_HOST, PROGRAM, VirtualClock(), MemoryPort("underlay"),
                      fastpath=fastpath)


def _allowed(d: dict[str, Any]) -> str | None:
    receiver = next((e for e in ENIS if ENIS[e]["mac"] == d["dst_mac"]), None)
    ok = may_reach(d["outer"], VNIS.get(d["vni"]), d["identity"], d["src_mac"], d["src"],
                   d["dst"], receiver)
    return receiver if ok else None


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(datagrams(), plausible()), min_size=1, max_size=6))
def test_forged_datagrams_reach_only_whom_the_config_allows(batch: list[dict[str, Any]]) -> None:
    fast, slow = _engine(True), _engine(False)
    for datagram in batch:
        frames = [_frame(datagram)] * datagram["copies"]
        out = fast.process_underlay_batch(frames)
        assert [(e.port, e.frame) for e in out] == [
            (e.port, e.frame) for e in slow.process_underlay_batch(frames)]
        allowed = _allowed(datagram)
        expected = [f"vm:{allowed}"] * datagram["copies"] if allowed else []
        assert [e.port for e in out if e.port != "underlay"] == expected, datagram
    assert fast.ctx.counters.snapshot() == slow.ctx.counters.snapshot()


def test_the_oracle_knows_legitimate_paths() -> None:
    """The oracle itself, on paths worked out by hand from CONFIG."""
    a1, fw, b2 = TAGS["eni-a1"], TAGS["eni-fw"], TAGS["eni-b2"]
    assert may_reach("host-1", "vpc-a", a1, "", "2001:db8:a:1::10", "2001:db8:b:1::10",
                     "eni-b1")
    assert not may_reach("host-3", "vpc-b", b2, "", "2001:db8:b:1::20", "2001:db8:a:1::10",
                         "eni-a2")  # not host-2's; and vpc-b routes only subnet-a1
    assert may_reach("host-3", "vpc-b", b2, "", "2001:db8:b:1::20", "2001:db8:a:1::40",
                     "eni-a4")
    assert not may_reach(EDGE, "vpc-a", GATEWAY_TAG, "", "2001:db8:b:1::20",
                         "2001:db8:a:1::40", "eni-a4")
    assert may_reach("host-1", "vpc-a", a1, "", "10.0.1.10", "10.0.1.40", "eni-a4")
    assert not may_reach("host-1", "vpc-a", a1, "", "10.0.1.10", "10.0.2.20", "eni-a2")  # fw
    assert may_reach("host-1", "vpc-a", fw, "", "10.0.1.10", "10.0.2.20", "eni-a2")
    assert may_reach("host-1", "vpc-a", a1, "", "10.0.1.10", "10.1.1.10", "eni-b1")
    assert not may_reach("host-1", "vpc-b", a1, "", "10.0.1.10", "10.1.1.10", "eni-b1")
    assert may_reach("host-3", "vpc-b", b2, "", "10.1.1.20", "10.0.1.40", "eni-a4")
    assert not may_reach("host-3", "vpc-b", b2, "", "10.1.1.20", "10.0.2.20", "eni-a2")
    assert not may_reach("host-1", "vpc-a", a1, "", "10.0.1.11", "10.0.1.40", "eni-a4")
    assert may_reach("host-k", "vpc-a", None, ENIS["eni-k"]["mac"], "10.0.1.50", "10.0.1.40",
                     "eni-a4")
    assert not may_reach("host-k", "vpc-a", None, ENIS["eni-k"]["mac"], "10.0.1.60",
                         "10.0.1.40", "eni-a4")
    assert may_reach("host-k", "vpc-a", None, ENIS["eni-kx"]["mac"], "10.0.1.99",
                     "10.0.1.40", "eni-a4")  # check off: an address nobody holds
    assert not may_reach("host-k", "vpc-a", None, ENIS["eni-kx"]["mac"], "10.0.1.50",
                         "10.0.1.40", "eni-a4")  # but not a neighbour's
    assert may_reach(EDGE, "vpc-a", GATEWAY_TAG, "", "203.0.113.5", "10.0.1.40", "eni-a4")
    assert not may_reach(EDGE, "vpc-a", GATEWAY_TAG, "", "10.1.1.10", "10.0.1.40", "eni-a4")
    assert not may_reach(EDGE, "vpc-b", GATEWAY_TAG, "", "203.0.113.5", "10.1.1.10", "eni-b1")
    assert not may_reach(STRANGER, "vpc-a", a1, "", "10.0.1.10", "10.0.1.40", "eni-a4")
