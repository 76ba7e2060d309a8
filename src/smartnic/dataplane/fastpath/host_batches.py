"""A host engine's batches through the fast path, with the slow path for what it punts.

Inputs: the engine's FastPath, the frames of one port's batch, how the engine handles one
frame in Python (`HostEngine._from_vm` / `_from_underlay`), and its Python flow cache (whose
`hits` count the fast path's too). Output: the emissions, in the order the
Python path alone would produce them: the fast path replays hits in arrival order and hands
each punted packet to the Python handler at its place (core.FastPath.process), so the first
packet of a new flow decides and installs it (`learn`, called from the engine's cache
lookup) before the rest of the batch is replayed. Emissions of both are merged by the
index of the packet that produced them.

Example:
    emissions = run_batch(engine.fastpath, VM_SIDE, "vm:eni-a", frames,
                          lambda frame, out: engine._from_vm("eni-a", frame, out), engine.flows)
"""

from __future__ import annotations

from collections.abc import Callable

from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch
from smartnic.dataplane.fastpath.core import FastPath
from smartnic.dataplane.flowtable import FlowTable
from smartnic.dataplane.runner import Emission

Handler = Callable[[bytes, list[Emission]], None]


def run_batch(fast: FastPath, side: int, port: str, frames: list[bytes], handle: Handler,
              flows: FlowTable) -> list[Emission]:
    """`flows` (the engine's Python flow cache) counts the fast path's hits as its own: one
    emission each."""
    slow: list[tuple[int, list[Emission]]] = []

    def punted(index: int) -> None:
        out: list[Emission] = []
        handle(frames[index], out)
        if out:
            slow.append((index, out))

    result = fast.process(side, fast.port_index(port), PacketBatch.from_frames(frames), punted)
    flows.hits += len(result.emissions)
    return merge(result.emissions, fast.port_names, slow)


def merge(fast: Emissions, port_names: list[str],
          slow: list[tuple[int, list[Emission]]]) -> list[Emission]:
    """Fast and slow emissions in the order of the packets that produced them."""
    batch = fast.batch
    view = batch.buf.data  # a memoryview: slicing it is cheaper than a numpy slice
    starts, lengths = batch.start.tolist(), batch.length.tolist()
    merged: list[Emission] = []
    pending = iter(slow)
    following = next(pending, None)
    for source, port, start, length in zip(fast.source.tolist(), fast.port.tolist(), starts,
                                           lengths, strict=True):
        while following is not None and following[0] < source:
            merged += following[1]
            following = next(pending, None)
        merged.append(Emission(port_names[port], bytes(view[start:start + length])))
    while following is not None:
        merged += following[1]
        following = next(pending, None)
    return merged
