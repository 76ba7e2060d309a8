"""PyYAML's safe loading, bounded: what `model.source` parses every document with.

`compose(text)` returns (root node, data) like `yaml.safe_load` would, but every way a
document could exhaust the process ends in a `yaml.MarkedYAMLError` with its line:

* nesting deeper than MAX_DEPTH (PyYAML composes recursively: a RecursionError deeper
  down), counted first over libyaml's events, since PyYAML's own parser takes seconds on
  a line of brackets;
* a number longer than MAX_NUMBER_CHARS characters (Python refuses to convert integers of
  more than 4300 digits with a ValueError);
* recursive aliases, or aliases that expand to more than MAX_VALUES values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 64  # configs nest about 6 deep; PyYAML recurses ~3 frames per level
MAX_NUMBER_CHARS = 100
MAX_VALUES = 2_000_000  # values after alias expansion
NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def compose(text: str) -> tuple[Node | None, Any]:
    """The root node (None for an empty stream) and the data of the one document."""
    _check_depth(text)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_expansion(root)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


class _Loader(yaml.SafeLoader):
    """SafeLoader with a nesting limit and a length limit on numbers."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                _refuse(TOO_DEEP, self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        finally:
            self.depth -= 1


def _construct_number(loader: _Loader, node: ScalarNode) -> Any:
    if len(node.value) > MAX_NUMBER_CHARS:
        _refuse(f"a number of {len(node.value)} characters (at most {MAX_NUMBER_CHARS})",
                node.start_mark)
    if node.tag == NUMBER_TAGS[0]:
        return loader.construct_yaml_int(node)
    return loader.construct_yaml_float(node)


for _tag in NUMBER_TAGS:
    _Loader.add_constructor(_tag, _construct_number)


def _check_depth(text: str) -> None:
    depth = 0
    loader_class = getattr(yaml, "CSafeLoader", _Loader)
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                _refuse(TOO_DEEP, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_expansion(root: Node) -> None:
    """Sizes of every node after alias expansion, children first, without recursion."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children(node))
            if sizes[key] > MAX_VALUES:
                _refuse(f"aliases expand to more than {MAX_VALUES} values", node.start_mark)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            _refuse("a recursive alias (a value containing itself)", node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children(node) if id(child) not in sizes)


def _refuse(problem: str, mark: Any) -> None:
    raise yaml.composer.ComposerError(None, None, problem, mark)
