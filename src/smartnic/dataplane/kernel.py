"""`@kernel`: a function compiled by numba for the fast path, with its pure-Python twin.

Kernels are written in the subset of Python numba compiles (ints, floats, numpy arrays,
tuples). The compiled dispatcher is what both the fast path and the slow path call; the
undecorated function stays reachable as `.py_func`, the oracle the tests compare against.
Compiled code is cached on disk (`cache=True`), so only the first run pays for compilation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def kernel(function: F) -> F:
    return numba.njit(cache=True, nogil=True)(function)  # type: ignore[no-any-return]
