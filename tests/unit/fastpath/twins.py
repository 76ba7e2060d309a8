"""Running the fast path's kernels as their interpreted twins.

Kernels call each other through module globals; `interpreted()` swaps every compiled
kernel of the fast-path modules for its `.py_func` while it is active, so a driver's twin
runs Python all the way down (the conntrack state kernels of states.py stay compiled: they
have their own twin tests). Call the compiled kernels once before, so nothing compiles
while the swap is active.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

import numpy as np
from numba.core.registry import CPUDispatcher

from smartnic.dataplane import keys
from smartnic.dataplane.admission import ctops, decide, match, ordered, route, security
from smartnic.dataplane.conntrack import index, rows
from smartnic.dataplane.fastpath import (
    admit,
    admit_install,
    admit_scan,
    admit_view,
    classify,
    entries,
    flowkey,
    flowtable,
    logslots,
    parse,
    replay,
    wire,
)

MODULES: tuple[ModuleType, ...] = (classify, flowkey, flowtable, parse, replay, wire)
# the admission pre-pass, down to the connection rows it creates
ADMISSION: tuple[ModuleType, ...] = (
    *MODULES, admit, admit_install, admit_scan, admit_view, entries, logslots, keys, ctops,
    decide, match, ordered, route, security, index, rows)


@contextlib.contextmanager
def interpreted(modules: tuple[ModuleType, ...] = MODULES) -> Iterator[None]:
    saved: list[tuple[ModuleType, str, object]] = []
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher):
                saved.append((module, name, value))
    try:
        for module, name, value in saved:
            setattr(module, name, value.py_func)  # type: ignore[attr-defined]
        with np.errstate(over="ignore"):  # the hash multiplies modulo 2**64 on purpose
            yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
