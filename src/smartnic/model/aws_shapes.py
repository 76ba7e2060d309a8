"""Shape checks for EC2 API structures (describe-* JSON and API action parameters).

Each helper returns the value in the expected shape or raises ConfigError naming the
object (or API action) and the field, so malformed input never surfaces as a TypeError.
"""

from __future__ import annotations

from typing import Any

from smartnic.model.errors import ConfigError


def items(value: Any, object_id: str, field: str) -> list[dict[str, Any]]:
    """A list of objects; absent means empty."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ConfigError(object_id, field, "expected a list of objects")
    return value


def mapping(value: Any, object_id: str, field: str) -> dict[str, Any]:
    """An object; absent means empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(object_id, field, "expected an object")
    return value


def texts(value: Any, object_id: str, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(object_id, field, "expected a list of strings")
    return value


def text(value: Any, object_id: str, field: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(object_id, field, f"expected a string, not {value!r}")
    return value


def integer(value: Any, object_id: str, field: str) -> int:
    """An int, or the decimal text of one (EC2 JSON writes some numbers as strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ConfigError(object_id, field, f"expected an integer, not {value!r}")


def optional_integer(value: Any, object_id: str, field: str) -> int | None:
    return None if value is None else integer(value, object_id, field)
