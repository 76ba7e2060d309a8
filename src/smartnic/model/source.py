"""Read a YAML (or JSON) file into plain data and remember the line of every value.

Every file a user hands smartnic — a config, a `--packets` list, a scenario file — goes
through `load_document`, which refuses whatever would otherwise surface as a Python
traceback, with one `SourceError` naming the file (and line when known):

* missing, unreadable, a directory, a device that never ends, over `MAX_DOCUMENT_BYTES`;
* not UTF-8 (a binary file), characters YAML forbids, a syntax error (with its line);
* nested deeper than `MAX_DEPTH` (PyYAML composes recursively: a RecursionError),
  recursive aliases, aliases that expand past `MAX_VALUES` values ("billion laughs");
* a number longer than `MAX_NUMBER_CHARS` characters (Python refuses to convert integers
  of more than 4300 digits with a ValueError);
* an empty file (no document at all).

JSON is read as YAML (its flow style), so JSON files get line numbers too.

API:
    document = load_document(path)          # SourceError on any of the above
    document.data                           # plain dicts, lists, str, int, float, ...
    document.line_of(("enis", 2, "ips", 0)) # 1-based line of the deepest node on that
                                            # data path that exists (None: no document)
    document.where(path_tuple)              # "file:line" (or "file"), for messages
    locate(document, "eni-a", "ingress[2].peer")
        # line of a field of the object whose `id` is "eni-a" (any list item, first
        # found breadth-first), of "subnets[3]"-style objects, or of "config" (the root)

Example: a ConfigError `eni-a.ips: ...` from a config file becomes
`cloud.yaml:14: eni-a.ips: ...` with `document.where` of `locate(...)`.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64  # configs nest about 6 deep; PyYAML recurses ~3 frames per level
MAX_NUMBER_CHARS = 100
MAX_VALUES = 2_000_000  # values after alias expansion
NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
FIELD_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
INDEXED_OBJECT = re.compile(r"(\w+)\[(\d+)\]")
ROOT_OBJECT = "config"

DataPath = Sequence[str | int]


class SourceError(ValueError):
    """A file that cannot be read as a YAML/JSON document: where (`path`, `line`) and why."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Document:
    """A parsed file: its data and the node tree that knows each value's line."""

    path: Path
    data: Any
    root: Node | None

    def line_of(self, data_path: DataPath) -> int | None:
        node = self.root
        if node is None:
            return None
        for part in data_path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return node.start_mark.line + 1

    def where(self, data_path: DataPath = ()) -> str:
        line = self.line_of(data_path) if data_path else None
        return str(self.path) if line is None else f"{self.path}:{line}"


def load_document(path: str | Path) -> Document:
    location = Path(path)
    return parse_document(read_text(location), location)


def read_text(path: Path, limit_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The file's text, refused with a SourceError when it cannot be a text document."""
    if path.is_dir():
        raise SourceError(path, "is a directory, expected a file")
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit_bytes + 1)
    except OSError as error:
        raise SourceError(path, f"cannot read: {error.strerror or error}") from None
    if len(raw) > limit_bytes:
        raise SourceError(path, f"larger than {limit_bytes // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(path, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
                                f"{error.start}; a binary file?)") from None


def parse_document(text: str, path: Path) -> Document:
    """Parse `text` (the content of `path`, named in errors) as one YAML document, or as
    JSON when YAML refuses it (JSON indented with tabs is not YAML)."""
    try:
        return _parse_yaml(text, path)
    except SourceError as yaml_error:
        data = _json_or_none(text)
        if data is None:
            raise yaml_error from None
    try:  # tabs are whitespace in valid JSON (never inside its strings): same lines
        spaced = _parse_yaml(text.replace("\t", " "), path)
        return Document(path, data, spaced.root if spaced.data == data else None)
    except SourceError:
        return Document(path, data, None)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # ValueError: syntax, or an int of > 4300 digits
        return None


def _parse_yaml(text: str, path: Path) -> Document:
    try:
        _check_depth(text)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                raise SourceError(path, "empty: no YAML or JSON document")
            _check_expansion(root, path)
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        raise _marked_error(path, error) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise SourceError(path, _reader_reason(error), line) from None
    except yaml.YAMLError as error:
        raise SourceError(path, _one_line(str(error))) from None
    return Document(path, data, root)


def _check_depth(text: str) -> None:
    """Refuse deep nesting before PyYAML's Python parser, which is slow on it (seconds for a
    line of brackets), by counting depth over libyaml's events when libyaml is there."""
    depth = 0
    loader_class = getattr(yaml, "CSafeLoader", _Loader)
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def locate(document: Document, object_id: str, field: str) -> int | None:
    """The line of `field` ("ingress[2].peer") of the object `object_id`, or None."""
    object_path = _object_path(document.data, object_id)
    if object_path is None:
        return None
    return document.line_of((*object_path, *field_parts(field)))


def field_parts(field: str) -> list[str | int]:
    """"ingress[2].peer" → ["ingress", 2, "peer"]; placeholders like "(item)" → []."""
    if field.startswith("("):
        return []
    return [int(index) if index else name for index, name in FIELD_PART.findall(field)]


class _Loader(yaml.SafeLoader):
    """SafeLoader with a nesting limit and a length limit on numbers."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        finally:
            self.depth -= 1


def _construct_number(loader: _Loader, node: ScalarNode) -> Any:
    if len(node.value) > MAX_NUMBER_CHARS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of {len(node.value)} characters (at most "
                        f"{MAX_NUMBER_CHARS})", node.start_mark)
    if node.tag == NUMBER_TAGS[0]:
        return loader.construct_yaml_int(node)
    return loader.construct_yaml_float(node)


for _tag in NUMBER_TAGS:
    _Loader.add_constructor(_tag, _construct_number)


def _check_expansion(root: Node, path: Path) -> None:
    """Refuse recursive aliases and aliases that expand to more than MAX_VALUES values."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > MAX_VALUES:
                raise SourceError(path, f"aliases expand to more than {MAX_VALUES} values",
                                  node.start_mark.line + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise SourceError(path, "a recursive alias (a value containing itself)",
                              node.start_mark.line + 1)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _child(node: Node, part: str | int) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return value  # type: ignore[no-any-return]
    return None


def _object_path(data: Any, object_id: str) -> list[str | int] | None:
    if object_id == ROOT_OBJECT:
        return []
    indexed = INDEXED_OBJECT.fullmatch(object_id)
    if indexed:
        return [indexed.group(1), int(indexed.group(2))]
    seen: set[int] = set()
    queue: deque[tuple[Any, list[str | int]]] = deque([(data, [])])
    while queue:
        value, where = queue.popleft()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            queue.extend((item, [*where, key]) for key, item in value.items())
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and item.get("id") == object_id:
                    return [*where, index]
                queue.append((item, [*where, index]))
    return None


def _marked_error(path: Path, error: yaml.MarkedYAMLError) -> SourceError:
    mark = error.problem_mark or error.context_mark
    reason = error.problem or ""
    if "maximum nesting depth" in reason:  # libyaml's own limit (1000), met first
        return SourceError(path, f"nested deeper than {MAX_DEPTH} levels",
                           None if mark is None else mark.line + 1)
    if error.context:
        reason = f"{reason} ({error.context})" if reason else error.context
    return SourceError(path, _one_line(reason or "invalid YAML"),
                       None if mark is None else mark.line + 1)


def _reader_reason(error: yaml.reader.ReaderError) -> str:
    code = error.character if isinstance(error.character, int) else ord(error.character[:1])
    return f"character U+{code:04X} is not allowed in YAML ({error.reason})"


def _one_line(text: str) -> str:
    return " ".join(text.split())
