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


class ConfigFileError(ConfigError):
    """A ConfigError located in a file: `str(error)` reads `<where>: <object_id>.<field>:
    <message>`, where `where` is `path:line` (or `path` when no line is known). What `where`
    already says is not repeated: an object_id equal to it, a placeholder field such as
    `(root)`; an empty field is a refusal of the file itself: `<where>: <message>`."""

    def __init__(self, where: str, object_id: str, field: str, message: str) -> None:
        super().__init__(object_id, field, message)
        self.where = where
        subject = ".".join(part for part in (
            "" if object_id == where or not field else object_id,
            "" if field.startswith("(") else field,
        ) if part)
        self.args = (f"{where}: {subject}: {message}" if subject else f"{where}: {message}",)
