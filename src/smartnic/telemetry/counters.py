"""Per-ENI counters: packets by stage and drop reason, allowances, deliveries.

Every drop is counted under `drop.<stage>.<reason>` and its stage total `<stage>` on the ENI
it concerns (or on the engine's own name when no ENI is known, e.g. garbage on the underlay).
"""

from __future__ import annotations

from collections import Counter, defaultdict

ENGINE_SCOPE = "engine"


class Counters:
    def __init__(self) -> None:
        self._by_scope: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, scope: str | None, name: str, amount: int = 1) -> None:
        self._by_scope[scope or ENGINE_SCOPE][name] += amount

    def drop(self, scope: str | None, stage: str, reason: str, amount: int = 1) -> None:
        bucket = self._by_scope[scope or ENGINE_SCOPE]
        bucket[stage] += amount
        bucket[f"drop.{stage}.{reason}"] += amount
        bucket["drops"] += amount

    def of(self, scope: str) -> dict[str, int]:
        return dict(self._by_scope.get(scope, {}))

    def scopes(self) -> list[str]:
        return sorted(self._by_scope)

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {scope: dict(c) for scope, c in self._by_scope.items()}
