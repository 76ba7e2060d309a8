"""smartnic: a VPC data plane with AWS semantics for a host co-processor."""

from smartnic.numba_cache import configure as _configure_numba_cache

_configure_numba_cache()
