"""`@kernel`: a function compiled by numba for the fast path, with its pure-Python twin.

Kernels are written in the subset of Python numba compiles (ints, floats, numpy arrays,
tuples). The compiled dispatcher is what both the fast path and the slow path call; the
undecorated function stays reachable as `.py_func`, the oracle the tests compare against.
Compiled code is cached on disk (`cache=True`), so only the first run pays for compilation.

The cache directory is chosen in smartnic/numba_cache.py (see there why).

Compiled kernels check no index: one outside its array reads or writes whatever memory is
there. What bounds each index is written down where the kernel is (and summed up in
docs/architecture.md, "Memory safety of the kernels"); with NUMBA_BOUNDSCHECK=1 numba
compiles a check into every index instead, the mode `make test` also runs the property,
fuzz, flood and table state-machine tests in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


# numba's stubs type a compiled function as `Dispatcher[F]`; it is called exactly like the
# function itself (Dispatcher.__call__ takes F's parameters), so the decorators hand back F.


def kernel(function: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(function))


def refcount_free_kernel(function: F) -> F:
    """An entry kernel compiled without numba's reference counting (NRT).

    Inlined helpers that receive the many arrays of a table tuple would otherwise update
    each array's reference count on every call, which measured several times the cost of
    the work itself. Such a kernel must not allocate: scratch arrays come from the caller.
    """
    # `_nrt` is a private numba option that numba's stubs for njit do not list.
    compile_ = numba.njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload]
    return cast(F, compile_(function))


def inline_kernel(function: F) -> F:
    """A small kernel called in inner loops: inlined into its callers at compile time.

    A call between compiled functions still passes every array argument with a reference
    count update; for a helper called once per rule that cost more than its work."""
    return cast(F, numba.njit(cache=True, nogil=True, inline="always")(function))
