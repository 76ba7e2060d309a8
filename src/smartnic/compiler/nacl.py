"""Network ACLs compiled into ordered, per-family rule lists (NACL-R2..R7).

The CIDR is matched against the source for inbound rules and the destination for outbound
rules; ports against the destination port in both directions (NACL-R2). Rules are sorted by
number and the first match decides (NACL-R3); the implicit `*` rule denies the rest
(NACL-R4: 32767 for IPv4, 32768 for IPv6).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartnic.compiler.cidr import Cidr, parse_cidr
from smartnic.compiler.protocols import L4Match, l4_match
from smartnic.model.config import Config, NaclRule

IMPLICIT_DENY_NUMBER = {4: 32767, 6: 32768}


@dataclass(frozen=True, slots=True)
class CompiledNaclRule:
    number: int
    allow: bool
    cidr: Cidr
    l4: L4Match

    def describe(self) -> str:
        action = "allow" if self.allow else "deny"
        return f"rule {self.number} {action} {self.l4.describe()} {self.cidr}"


@dataclass(frozen=True, slots=True)
class NaclVerdict:
    allow: bool
    rule_number: int
    text: str


@dataclass(frozen=True, slots=True)
class CompiledNacl:
    id: str
    ingress: tuple[CompiledNaclRule, ...]
    egress: tuple[CompiledNaclRule, ...]

    def evaluate(
        self, direction: str, version: int, peer_ip: int, proto: int, dport: int,
        icmp_type: int, icmp_code: int,
    ) -> NaclVerdict:
        rules = self.ingress if direction == "ingress" else self.egress
        for rule in rules:
            if rule.cidr.contains(version, peer_ip) and rule.l4.matches(
                proto, dport, icmp_type, icmp_code
            ):
                return NaclVerdict(rule.allow, rule.number, f"{self.id} {rule.describe()}")
        number = IMPLICIT_DENY_NUMBER[version]
        return NaclVerdict(False, number, f"{self.id} rule * ({number}) deny all")


def compile_nacls(config: Config) -> dict[str, CompiledNacl]:
    return {
        nacl.id: CompiledNacl(nacl.id, _ordered(nacl.ingress), _ordered(nacl.egress))
        for nacl in config.nacls
    }


def _ordered(rules: list[NaclRule]) -> tuple[CompiledNaclRule, ...]:
    compiled = [
        CompiledNaclRule(
            r.n, r.action == "allow", parse_cidr(r.cidr),
            l4_match(r.proto, r.ports, r.icmp_type, r.icmp_code),
        )
        for r in rules
    ]
    return tuple(sorted(compiled, key=lambda r: r.number))
