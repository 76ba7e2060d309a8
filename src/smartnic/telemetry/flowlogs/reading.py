"""Read delivered flow-log files back (`smartnic flowlogs --read`), refusing what is not one.

Input: a directory in the S3 delivery layout (`delivery.deliver`), searched for `*.log.gz`,
or one such file. Output: per file, its lines — the header (field names of FL-R5), then one
record per line with one value per field. A file that is not gzip, is truncated, is not
UTF-8, decompresses past `MAX_TEXT_BYTES`, or whose lines do not fit its header raises
`FlowLogReadError` naming the file (and line).

Example:
    for path in delivered_files(Path("out/fl")):
        lines = read_delivered(path)   # ["version account-id ...", "2 1234... ", ...]
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from smartnic.telemetry.flowlogs.fields import FIELD_VERSIONS

MAX_TEXT_BYTES = 64 * 1024 * 1024
DELIVERED_GLOB = "*.log.gz"


class FlowLogReadError(ValueError):
    """A delivered flow-log file (or directory) that cannot be read back."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        where = str(path) if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line


def delivered_files(root: Path) -> list[Path]:
    try:
        if root.is_file():
            return [root]
        if not root.is_dir():
            raise FlowLogReadError(root, "no such file or directory")
        files = sorted(path for path in root.rglob(DELIVERED_GLOB) if path.is_file())
    except OSError as error:  # e.g. a name too long
        raise FlowLogReadError(root, f"cannot read: {error.strerror or error}") from None
    if not files:
        raise FlowLogReadError(root, f"no delivered flow-log files ({DELIVERED_GLOB}) under it")
    return files


def read_delivered(path: Path) -> list[str]:
    """The file's lines, header first, each record checked against the header."""
    lines = _text(path).splitlines()
    if not lines:
        raise FlowLogReadError(path, "empty: no header line")
    fields = lines[0].split()
    unknown = [name for name in fields if name not in FIELD_VERSIONS]
    if not fields or unknown:
        raise FlowLogReadError(path, f"not a flow-log file: its header has unknown field "
                                     f"{(unknown or [''])[0][:40]!r}", 1)
    for number, line in enumerate(lines[1:], start=2):
        values = len(line.split())
        if values != len(fields):
            raise FlowLogReadError(path, f"{values} values for the header's {len(fields)} "
                                         "fields", number)
    return lines


def _text(path: Path) -> str:
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read(MAX_TEXT_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
        reason = "truncated" if isinstance(error, EOFError) else (
            getattr(error, "strerror", None) or str(error))
        raise FlowLogReadError(path, f"not a readable gzip file: {reason}") from None
    if len(raw) > MAX_TEXT_BYTES:
        raise FlowLogReadError(path, f"decompresses to more than "
                                     f"{MAX_TEXT_BYTES // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FlowLogReadError(path, f"not UTF-8 text (byte at offset {error.start})") from None
