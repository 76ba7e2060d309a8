"""The fast path's emissions split by output port, without a Python object per frame.

`port_runs(emissions)` yields (port index, PacketBatch of that port's frames) for every
port the emissions go to; within a port, frames keep the order of the packets that
produced them (a stable sort), which is all a port's peer can observe. A batch from one
port mostly emits to one other port (a VM's frames to the underlay, the underlay's to a
VM), so that case costs two numpy reductions and no sort.

Example:
    for index, batch in port_runs(result.emissions):
        ports[fast.port_names[index]].tx_packets(batch)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch


def port_runs(emissions: Emissions) -> Iterator[tuple[int, PacketBatch]]:
    ports = emissions.port
    if ports.shape[0] == 0:
        return
    batch = emissions.batch
    low, high = int(ports.min()), int(ports.max())
    if low == high:
        yield low, batch
        return
    order = np.argsort(ports, kind="stable")
    sorted_ports = ports[order]
    bounds = np.flatnonzero(sorted_ports[1:] != sorted_ports[:-1]) + 1
    for run in np.split(order, bounds):
        yield int(ports[run[0]]), PacketBatch(batch.buf, batch.start[run], batch.length[run])
