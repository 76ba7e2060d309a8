"""Where compiled kernels are cached: named after the kernel sources, and never shared
between normal and bounds-checked compilation (NUMBA_BOUNDSCHECK changes the code, and
numba's cache index does not record it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartnic import numba_cache as nc

DIGEST = nc.source_digest()


@pytest.mark.parametrize(("environ", "expected"), [
    ({"XDG_CACHE_HOME": "/c"}, f"/c/smartnic/numba/{DIGEST}"),
    ({"XDG_CACHE_HOME": "/c", "NUMBA_BOUNDSCHECK": "1"},
     f"/c/smartnic/numba/{DIGEST}/boundscheck"),
    ({"XDG_CACHE_HOME": "/c", "NUMBA_BOUNDSCHECK": "0"}, f"/c/smartnic/numba/{DIGEST}"),
    ({"NUMBA_CACHE_DIR": "/x"}, "/x"),
    ({"NUMBA_CACHE_DIR": "/x", "NUMBA_BOUNDSCHECK": "1"}, "/x/boundscheck"),
    ({"NUMBA_CACHE_DIR": "/x/boundscheck", "NUMBA_BOUNDSCHECK": "1"}, "/x/boundscheck"),
    ({"NUMBA_CACHE_DIR": "/x/boundscheck"}, "/x"),
])
def test_each_mode_has_its_own_directory(environ: dict[str, str], expected: str) -> None:
    assert nc.cache_dir(environ) == Path(expected)


def test_a_chosen_directory_resolves_to_itself_in_child_processes() -> None:
    """Engines and test workers inherit NUMBA_CACHE_DIR as set by their parent."""
    for mode in ("0", "1"):
        chosen = nc.cache_dir({"XDG_CACHE_HOME": "/c", "NUMBA_BOUNDSCHECK": mode})
        inherited = {"NUMBA_CACHE_DIR": str(chosen), "NUMBA_BOUNDSCHECK": mode}
        assert nc.cache_dir(inherited) == chosen


def test_the_two_modes_never_share() -> None:
    """Whatever directory is given, checked kernels live in a `boundscheck` directory and
    unchecked ones never do (numba files each kernel under the directory + its source's
    path, so a directory inside another shares nothing with it)."""
    for explicit in ({}, {"NUMBA_CACHE_DIR": "/x"}, {"NUMBA_CACHE_DIR": "/x/boundscheck"}):
        normal = nc.cache_dir({"XDG_CACHE_HOME": "/c", **explicit})
        checked = nc.cache_dir({"XDG_CACHE_HOME": "/c", "NUMBA_BOUNDSCHECK": "1", **explicit})
        assert checked.name == "boundscheck" != normal.name
