"""The one error type of the model: a refusal naming the object and the field at fault.

Every check in `smartnic.model` (structure, references, overlaps, quotas, API actions,
AWS JSON import) raises `ConfigError`; `str(error)` reads `<object_id>.<field>: <message>`,
e.g. `eni-a.mtu: Input should be less than or equal to 9001`.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration refused: `object_id` and `field` say where, `message` says why."""

    def __init__(self, object_id: str, field: str, message: str) -> None:
        super().__init__(f"{object_id}.{field}: {message}")
        self.object_id = object_id
        self.field = field
        self.message = message
