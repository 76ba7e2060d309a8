"""Deep merge of configuration mappings, with the scenario schema's merge rules.

Used for a scenario's `config` over its topology and for `patch` steps:

* mappings merge recursively (override values win for scalars);
* a list whose items (in base and override) are all mappings with an `id` merges item by
  item: same id → recursive merge, new id → appended, `{id: X, _delete: true}` removes X;
* any other list (SG rules, NACL rules, routes, an empty override list) replaces the base.

Input: two plain dicts. Output: a new dict; the inputs are never mutated.
"""

from __future__ import annotations

import copy
from typing import Any

DELETE_KEY = "_delete"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return `base` with `override` merged onto it (see module docstring)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if key == DELETE_KEY:
            continue
        merged[key] = _merge_value(merged.get(key), value) if key in merged else _fresh(value)
    return merged


def _merge_value(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return deep_merge(base, override)
    if isinstance(base, list) and isinstance(override, list) and _mergeable_by_id(base, override):
        return _merge_by_id(base, override)
    return _fresh(override)


def _is_identified(item: Any) -> bool:
    return isinstance(item, dict) and "id" in item


def _mergeable_by_id(base: list[Any], override: list[Any]) -> bool:
    # An empty override list is an explicit replacement ("no items"), never a no-op merge.
    return bool(override) and all(map(_is_identified, base)) and all(map(_is_identified, override))


def _merge_by_id(base: list[dict[str, Any]], override: list[dict[str, Any]]) -> list[Any]:
    merged: list[dict[str, Any]] = [copy.deepcopy(item) for item in base]
    for item in override:
        position = next((i for i, old in enumerate(merged) if old["id"] == item["id"]), None)
        if item.get(DELETE_KEY) is True:
            if position is not None:
                del merged[position]
        elif position is None:
            merged.append(_fresh(item))
        else:
            merged[position] = deep_merge(merged[position], item)
    return merged


def _fresh(value: Any) -> Any:
    """A deep copy of new content, without `_delete` markers (deleting nothing is a no-op)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items() if k != DELETE_KEY}
    if isinstance(value, list):
        kept = [v for v in value if not (_is_identified(v) and v.get(DELETE_KEY) is True)]
        return [_fresh(v) for v in kept]
    return copy.deepcopy(value)
