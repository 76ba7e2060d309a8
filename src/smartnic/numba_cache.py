"""Where numba keeps compiled kernels: a directory named after this package's sources.

Numba checks a cached kernel against its own file only, not against the kernels compiled
into it, so after a change elsewhere it could load stale code. The cache therefore lives
under `~/.cache/smartnic/numba/<hash of every source file>` (XDG_CACHE_HOME respected;
an explicit NUMBA_CACHE_DIR wins): any change compiles afresh. Set before any kernel is
decorated, so it is imported first by the package.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent


def source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def configure() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    os.environ["NUMBA_CACHE_DIR"] = str(base / "smartnic" / "numba" / source_digest())
