"""Column layout of a classified batch, and how the kernels are written.

    keys  uint64[n, 8]   flow key words + hash per packet (flowkey.py)
    info  int64[C, n]    one row per column below (column-major: each pass streams a few)

The kernels are flat loops over a batch that call only scalar helpers. Measured with numba
0.68 on this machine: a compiled helper that takes an array pays an atomic reference-count
pair per call unless LLVM happens to inline it before numba's pruning pass (about 15 ns
per call and array: a 5-deep parse chain cost 60 ns per packet), and `and` / `or` in a
kernel taking arrays defeat that pruning as well (10-20 ns each). So work is split into
passes over columns rather than into per-packet helpers, conditions are nested `if`s or
`&` / `|` of comparisons that are safe to evaluate both, and bytes are read with the
in-place lowered `be16`/`be32`/`be64`/`copy_bytes` of wire.py (no call at all).

Example:
    info = new_info(len(batch)); info[I_STATUS] = OK
"""

from __future__ import annotations

import numpy as np

I_STATUS = 0  # parse.OK or the punt reason
I_START = 1  # frame start in the buffer (on the underlay: the inner frame, after `tunnel`)
I_END = 2  # frame end
I_VERSION = 3  # 4 / 6
I_PROTO = 4
I_L4 = 5  # L4 header offset
I_IP_END = 6
I_IP_TOTAL = 7  # IP total length (IPv6: 40 + payload), what conntrack and flow logs count
I_TCP_FLAGS = 8
I_SUM_END = 9  # end of the L4 bytes the checksum covers; -1: no L4 checksum to verify
I_PSEUDO = 10  # pseudo-header sum (mod 0xFFFF congruent); -1: the L4 checksum has none
I_L4_WORD = 11
I_ROW = 12  # the flow-table row replayed for this packet (replay.py)
INFO_COLUMNS = 13


def new_info(count: int) -> np.ndarray:
    return np.zeros((INFO_COLUMNS, count), np.int64)
