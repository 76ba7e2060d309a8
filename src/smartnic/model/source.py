"""Read a YAML (or JSON) file into plain data and remember the line of every value.

Every file a user hands smartnic — a config, a `--packets` list, a scenario file — goes
through `load_document`, which refuses whatever would otherwise surface as a Python
traceback, with one `SourceError` naming the file (and line when known):

* missing, unreadable, a directory, a device that never ends, over `MAX_DOCUMENT_BYTES`;
* not UTF-8 (a binary file), characters YAML forbids, a syntax error (with its line);
* nested too deeply, recursive aliases, aliases that expand too far, numbers too long to
  convert (the limits of `model.yaml_guard`, which composes every document);
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smartnic.model.yaml_guard import TOO_DEEP, compose

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
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


def is_directory(path: Path) -> bool:
    """Path.is_dir without its exceptions (a name too long raises OSError on Python 3.11)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def read_text(path: Path, limit_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The file's text, refused with a SourceError when it cannot be a text document."""
    if is_directory(path):
        raise SourceError(path, "is a directory, expected a file")
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit_bytes + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        raise SourceError(path, f"cannot read: {getattr(error, 'strerror', None) or error}"
                          ) from None
    if len(raw) > limit_bytes:
        raise SourceError(path, f"larger than {limit_bytes // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(path, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
                                f"{error.start}; a binary file?)") from None


def parse_document(text: str, path: Path) -> Document:
    """Parse `text` (the content of `path`, named in errors) as one YAML document.

    JSON indented with tabs is not YAML; since tabs can only be whitespace in valid JSON
    (never inside its strings), such a file is read again with spaces for tabs: same
    values, same lines, same limits."""
    try:
        return _parse_yaml(text, path)
    except SourceError:
        if "\t" not in text or not _is_json(text):
            raise
    return _parse_yaml(text.replace("\t", " "), path)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # ValueError: syntax, or an int of > 4300 digits
        return False
    return True


def _parse_yaml(text: str, path: Path) -> Document:
    try:
        root, data = compose(text)
    except yaml.MarkedYAMLError as error:
        raise _marked_error(path, error) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise SourceError(path, _reader_reason(error), line) from None
    except yaml.YAMLError as error:
        raise SourceError(path, _one_line(str(error))) from None
    if root is None:
        raise SourceError(path, "empty: no YAML or JSON document")
    return Document(path, data, root)


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
        reason = TOO_DEEP
    if error.context:
        reason = f"{reason} ({error.context})" if reason else error.context
    return SourceError(path, _one_line(reason or "invalid YAML"),
                       None if mark is None else mark.line + 1)


def _reader_reason(error: yaml.reader.ReaderError) -> str:
    code = error.character if isinstance(error.character, int) else ord(error.character[:1])
    return f"character U+{code:04X} is not allowed in YAML ({error.reason})"


def _one_line(text: str) -> str:
    return " ".join(text.split())
