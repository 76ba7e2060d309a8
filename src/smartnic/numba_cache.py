"""Where numba keeps compiled kernels: a directory named after the kernels' sources.

Numba checks a cached kernel against its own file only, not against the kernels inlined
into it or the constants it reads from other modules, so after a change elsewhere it could
load stale code. The cache therefore lives under
`~/.cache/smartnic/numba/<hash of the kernel sources>` (XDG_CACHE_HOME respected; an
explicit NUMBA_CACHE_DIR wins): a changed kernel compiles everything afresh.

Bounds-checked mode (NUMBA_BOUNDSCHECK=1, see docs/architecture.md) compiles different
code under the same sources, and numba's cache index does not record the setting, so that
mode keeps its kernels in a `boundscheck` directory inside the chosen one (the default or
an explicit NUMBA_CACHE_DIR), and that name is reserved to it: the two modes never load
each other's kernels. The choice is written back to NUMBA_CACHE_DIR, which child
processes (test workers, engines) inherit and resolve the same way.

The kernel sources are every module that compiles kernels (imports numba or
`smartnic.dataplane.kernel`) and every module those import from at module level,
transitively: whatever a kernel can inline or read as a constant. A change to the command
line, the model checks or the orchestration reuses the compiled kernels. Set before any
kernel is decorated, so the package imports this first.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
_KERNEL_IMPORT = re.compile(r"^(?:import numba|from numba|from smartnic\.dataplane\.kernel )",
                            re.M)
_FROM_IMPORT = re.compile(r"^from (smartnic(?:\.\w+)*) import (\([^)]*\)|[^\n]*)", re.M)


def _module_files() -> dict[str, Path]:
    files = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = ("smartnic", *path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    return files


def _imports(text: str, files: dict[str, Path]) -> set[str]:
    """Modules a source imports from at module level (`from smartnic.x import y`)."""
    found = set()
    for module, names in _FROM_IMPORT.findall(text):
        for name in re.findall(r"\w+", names):
            if f"{module}.{name}" in files:
                found.add(f"{module}.{name}")
        if module in files:
            found.add(module)
    return found


def kernel_sources() -> list[Path]:
    """The files whose contents can change a compiled kernel."""
    files = _module_files()
    texts = {name: path.read_text() for name, path in files.items()}
    pending = [name for name, text in texts.items() if _KERNEL_IMPORT.search(text)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending += _imports(texts[name], files)
    return sorted(files[name] for name in seen)


def source_digest() -> str:
    digest = hashlib.sha256()
    for path in kernel_sources():
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CHECKED_DIR = "boundscheck"  # reserved for the bounds-checked mode's kernels
Environ = Mapping[str, str]


def bounds_checked(environ: Environ = os.environ) -> bool:
    """Whether numba compiles index checks into every kernel (it reads the variable as an
    int; 0 or unset: off)."""
    value = environ.get("NUMBA_BOUNDSCHECK", "").strip()
    try:
        return int(value) != 0
    except ValueError:
        return False


def cache_dir(environ: Environ = os.environ) -> Path:
    """The cache directory for the mode and explicit directory of `environ`."""
    explicit = environ.get("NUMBA_CACHE_DIR")
    if explicit:
        chosen = Path(explicit)
    else:
        base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        chosen = base / "smartnic" / "numba" / source_digest()
    if bounds_checked(environ):
        return chosen if chosen.name == CHECKED_DIR else chosen / CHECKED_DIR
    # a checked-mode directory inherited by a process that does not check: its parent
    return chosen.parent if chosen.name == CHECKED_DIR else chosen


def configure() -> None:
    os.environ["NUMBA_CACHE_DIR"] = str(cache_dir())
