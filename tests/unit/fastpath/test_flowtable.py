"""The flow table against a dict: finds what was inserted and not removed or evicted, never
holds more than its capacity, grows until it, and its insert/remove kernels equal their
interpreted twins."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath import flowtable as ft
from smartnic.dataplane.fastpath.flowkey import key_words
from tests.unit.fastpath.twins import interpreted


def words(n: int) -> np.ndarray:
    return key_words((0, n % 7, 4, 0x0A000000 + n, 0x0A000001, 17, n, 53, 0, 0, 0))


operations = st.lists(st.tuples(st.sampled_from(["insert", "insert", "remove", "hit"]),
                                st.integers(0, 40)), max_size=120)


@settings(max_examples=200, deadline=None)
@given(ops=operations, max_rows=st.sampled_from([4, 8, 64]))
def test_behaves_like_a_bounded_dict(ops: list[tuple[str, int]], max_rows: int) -> None:
    table = ft.FlowTable(max_rows=max_rows, initial_rows=2)
    model: dict[int, int] = {}  # key number -> row
    for op, n in ops:
        key = words(n)
        if op == "insert":
            row, evicted = table.insert(key)
            if evicted >= 0:
                gone = [k for k, r in model.items() if r == evicted]
                assert len(gone) == 1 and n not in model
                del model[gone[0]]
            assert model.get(n, row) == row
            model[n] = row
        elif op == "remove" and n in model:
            table.remove(model.pop(n))
        elif op == "hit" and n in model:
            table.arrays.acts[model[n], a.A_USED] = 1
        assert len(table) == len(model) <= max_rows
        for k, row in model.items():
            assert table.find(words(k)) == row
        assert len(set(model.values())) == len(model)
    for k in set(range(41)) - set(model):
        assert table.find(words(k)) == -1


@settings(max_examples=100, deadline=None)
@given(ops=operations)
def test_kernels_equal_their_twins(ops: list[tuple[str, int]]) -> None:
    compiled, twin = ft.allocate(8), ft.allocate(8)
    rows: dict[int, int] = {}
    for op, n in ops:
        key = words(n).reshape(1, -1)
        if op == "insert":
            result = ft.ft_insert(compiled, key, 0)
            with interpreted():
                assert ft.ft_insert(twin, key, 0) == result
            rows[n] = int(result[0])
            rows = {k: r for k, r in rows.items() if r != result[1] or k == n}
        elif op == "remove" and n in rows:
            ft.ft_remove(compiled, rows[n])
            with interpreted():
                ft.ft_remove(twin, rows.pop(n))
        for mine, theirs in zip(compiled, twin, strict=True):
            assert np.array_equal(mine, theirs)
