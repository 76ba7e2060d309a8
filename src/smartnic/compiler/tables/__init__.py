"""The Program as numpy tables, for numba kernels that decide new connections.

The readable slow path (dataplane/stages) explains; these tables let the admission
kernels (dataplane/admission) reach the same verdicts for the common case without Python
per connection. `PolicyTables` is rebuilt with every Program (full recompute).
"""

from smartnic.compiler.tables.build import build_tables
from smartnic.compiler.tables.layout import PolicyTables

__all__ = ["PolicyTables", "build_tables"]
