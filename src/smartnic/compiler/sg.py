"""Security groups compiled into one allow set per ENI and direction (SG-R1..R10, SG-R20).

Input: the normalized Config. Output: for each ENI an `SgPolicy` whose rules are the union
of the rules of all its groups (SG-R8), with peers resolved: CIDRs, prefix-list entries
(SG-R10), and SG references expanded to member identities and private addresses (SG-R9).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.cidr import Cidr, parse_cidr, parse_ip
from smartnic.compiler.protocols import PORT_PROTOCOLS, L4Match, l4_match
from smartnic.model.config import Config, SgRule

# Identity carried in the overlay for traffic that no ENI sent (internet, VPN gateway).
GATEWAY_TAG = 0xFFFE
# No identity on the wire (a plain RFC 7348 peer): SG references fall back to addresses.
UNKNOWN_TAG = 0


@dataclass(frozen=True, slots=True)
class SgPeer:
    text: str
    cidrs: tuple[Cidr, ...] = ()
    member_tags: frozenset[int] | None = None  # set for SG references
    member_addresses: frozenset[tuple[int, int]] = frozenset()
    all_version: int | None = None  # see all_addresses_version (computed once)

    def __post_init__(self) -> None:
        everything = self.member_tags is None and len(self.cidrs) == 1 and (
            self.cidrs[0].covers_all())
        object.__setattr__(self, "all_version", self.cidrs[0].version if everything else None)

    def matches(self, version: int, address: int, sender_tag: int | None) -> bool:
        """Does the far end match? `sender_tag` is the sending ENI's identity (ingress only)."""
        if self.member_tags is None:
            return any(c.contains(version, address) for c in self.cidrs)
        if (version, address) not in self.member_addresses:
            return False
        # SG-R9a: a forwarded packet keeps the member's address but not its identity.
        return sender_tag is None or sender_tag == UNKNOWN_TAG or sender_tag in self.member_tags

    def all_addresses_version(self) -> int | None:
        """4 for 0.0.0.0/0, 6 for ::/0 (SG-R20), else None."""
        return self.all_version


@dataclass(frozen=True, slots=True)
class CompiledSgRule:
    sg_id: str
    rule_id: str
    direction: str  # "ingress" | "egress"
    l4: L4Match
    peer: SgPeer

    def describe(self) -> str:
        way = "from" if self.direction == "ingress" else "to"
        return f"{self.sg_id} {self.direction} {self.l4.describe()} {way} {self.peer.text}"


@dataclass(frozen=True, slots=True)
class SgPolicy:
    """The union allow set of one ENI (SG-R8)."""

    ingress: tuple[CompiledSgRule, ...]
    egress: tuple[CompiledSgRule, ...]
    # (direction, version, proto) whose opposite direction allows all responses (SG-R20)
    open_responses: frozenset[tuple[str, int, int]] = frozenset()

    def __post_init__(self) -> None:
        found = frozenset(
            (direction, version, proto)
            for direction, opposite in (("ingress", self.egress), ("egress", self.ingress))
            for version in (4, 6) for proto in PORT_PROTOCOLS
            if any(r.peer.all_version == version and r.l4.covers_all_ports_of(proto)
                   for r in opposite)
        )
        object.__setattr__(self, "open_responses", found)

    def rules(self, direction: str) -> tuple[CompiledSgRule, ...]:
        return self.ingress if direction == "ingress" else self.egress

    def allows_all_responses(self, direction: str, version: int, proto: int) -> bool:
        """SG-R20: the opposite direction allows all traffic of `proto` to/from all addresses."""
        return (direction, version, proto) in self.open_responses

    def untracked(self, direction: str, version: int, proto: int,
                  matched: list[CompiledSgRule]) -> bool:
        """SG-R20/R21: TCP/UDP flows permitted by an all-addresses rule with an all-open reverse."""
        if proto not in PORT_PROTOCOLS:
            return False
        by_all = any(r.peer.all_addresses_version() == version for r in matched)
        return by_all and self.allows_all_responses(direction, version, proto)


def compile_sg_policies(config: Config, eni_tags: dict[str, int]) -> dict[str, SgPolicy]:
    members = _members(config, eni_tags)
    prefix_lists = {pl.id: tuple(parse_cidr(e) for e in pl.entries) for pl in config.prefix_lists}
    groups: dict[str, tuple[list[CompiledSgRule], list[CompiledSgRule]]] = {}
    for sg in config.security_groups:
        compiled = ([], [])  # type: tuple[list[CompiledSgRule], list[CompiledSgRule]]
        for direction, rules, out in (("ingress", sg.ingress, compiled[0]),
                                      ("egress", sg.egress, compiled[1])):
            for index, rule in enumerate(rules or ()):
                peer = _peer(rule.peer, prefix_lists, members)
                rid = rule.rule_id or f"{sg.id}/{direction}/{index}"
                out.append(CompiledSgRule(sg.id, rid, direction, _l4(rule), peer))
        groups[sg.id] = compiled
    policies = {}
    for eni in config.enis:
        ingress = [r for sg in eni.sgs or () for r in groups.get(sg, ([], []))[0]]
        egress = [r for sg in eni.sgs or () for r in groups.get(sg, ([], []))[1]]
        policies[eni.id] = SgPolicy(tuple(ingress), tuple(egress))
    return policies


def _l4(rule: SgRule) -> L4Match:
    return l4_match(rule.proto, rule.ports, rule.icmp_type, rule.icmp_code)


def _members(
    config: Config, eni_tags: dict[str, int]
) -> dict[str, tuple[frozenset[int], frozenset[tuple[int, int]]]]:
    """Member identities and private addresses of every group (SG-R9, spec §9 item 5)."""
    tags: dict[str, set[int]] = {}
    addresses: dict[str, set[tuple[int, int]]] = {}
    for eni in config.enis:
        own = {parse_ip(a) for a in [*eni.ips, *eni.ipv6]}
        for sg in eni.sgs or ():
            tags.setdefault(sg, set()).add(eni_tags[eni.id])
            addresses.setdefault(sg, set()).update(own)
    return {
        sg.id: (frozenset(tags.get(sg.id, ())), frozenset(addresses.get(sg.id, ())))
        for sg in config.security_groups
    }


def _peer(
    text: str,
    prefix_lists: dict[str, tuple[Cidr, ...]],
    members: dict[str, tuple[frozenset[int], frozenset[tuple[int, int]]]],
) -> SgPeer:
    group = text.split("/", 1)[1] if "/sg-" in text else text
    if group.startswith("sg-"):
        # A stale reference (group gone) matches nothing (SG-R9).
        tags, addresses = members.get(group, (frozenset(), frozenset()))
        return SgPeer(text, member_tags=tags, member_addresses=addresses)
    if text.startswith("pl-"):
        return SgPeer(text, cidrs=prefix_lists.get(text, ()))
    return SgPeer(text, cidrs=(parse_cidr(text),))
