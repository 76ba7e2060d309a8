"""Line numbers of fields in a YAML scenario file, for error messages (`file:line`).

`line_of(text, path)` walks the composed YAML node tree along a field path (mapping keys
and list indices from the document root) and returns the 1-based line of the deepest
part found: the key's line for a mapping entry, the item's first line for a list item.
Kept apart so a loader that carries line numbers itself can replace it.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def line_of(text: str, path: Sequence[str | int]) -> int | None:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: yaml.Node, part: str | int) -> tuple[int, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark.line + 1, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item.start_mark.line + 1, item
    return None
