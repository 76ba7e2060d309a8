"""Admission: new flows decided by numba kernels over compiled policy tables.

`CompiledPolicy(program, host_id, conntrack)` compiles the Program's tables once; `decide_vm`
and `decide_underlay` take packet columns (see columns.py) and return one outcome row per
packet (decide.py). Every admitted flow's verdict equals the readable slow path's — a
property test holds them equal — and everything the kernels do not admit (PUNT) goes to
the slow path, which decides and explains it.
"""

from smartnic.dataplane.admission.columns import packet_columns
from smartnic.dataplane.admission.decide import (
    ADMIT_LOCAL,
    ADMIT_REMOTE,
    CT_FULL,
    O_CODE,
    O_DST,
    O_DST_CT,
    O_MTU,
    O_PATH,
    O_SRC_CT,
    OUT_COLUMNS,
    PUNT,
)
from smartnic.dataplane.admission.policy import CompiledPolicy

__all__ = ["ADMIT_LOCAL", "ADMIT_REMOTE", "CT_FULL", "OUT_COLUMNS", "O_CODE", "O_DST",
           "O_DST_CT", "O_MTU", "O_PATH", "O_SRC_CT", "PUNT", "CompiledPolicy",
           "packet_columns"]
