"""A host engine's batches through the fast path, with the slow path for what it punts.

Inputs: the engine's FastPath, the frames of one port's batch (a list of bytes, or a
PacketBatch from a port that hands over arrays) and their classified,
gated columns (batch_gate.py: refused openings are DROPPED, neither replayed nor punted),
how the engine handles one frame in Python (`HostEngine._from_vm` / `_from_underlay`),
its Python flow cache (whose `hits` count the fast path's too) and, optionally, the
slow path's share: `share(port, slot)` True means the ENI of that slot has used its share
of the Python stages this second and the punted packet is dropped there (counted by the
engine as `slowpath_share_exceeded`) instead of being handled.
Output: the emissions, in the order the Python path alone would produce them: the fast path
replays hits in arrival order and hands each punted packet to the Python handler at its
place (core.FastPath.process), so the first packet of a new flow decides and installs it
(`learn`, called from the engine's cache lookup) before the rest of the batch is replayed.
When the slow path emitted nothing (the common case) they are the fast path's Emissions
as they stand (arrays in its arena, valid until its next batch); else emissions of both
are merged, as a list, by the index of the packet that produced them.

Example:
    gated = engine.gate.run(VM_SIDE, "eni-a", frames, now_s)
    emissions = run_batch(engine.fastpath, VM_SIDE, "vm:eni-a", frames, gated,
                          lambda frame, out: engine._from_vm("eni-a", frame, out), engine.flows)
"""

from __future__ import annotations

from collections.abc import Callable

from smartnic.dataplane.batch_gate import Gated
from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch
from smartnic.dataplane.fastpath.core import FastPath
from smartnic.dataplane.flowtable import FlowTable
from smartnic.dataplane.runner import Emission

Handler = Callable[[bytes, list[Emission]], None]
Share = Callable[[str, int], bool]
Frames = list[bytes] | PacketBatch


def as_frame_list(frames: Frames) -> list[bytes]:
    return frames.frames() if isinstance(frames, PacketBatch) else frames


def run_batch(fast: FastPath, side: int, port: str, frames: Frames, gated: Gated,
              handle: Handler, flows: FlowTable, share: Share | None = None
              ) -> list[Emission] | Emissions:
    """`flows` (the engine's Python flow cache) counts the fast path's hits as its own: one
    emission each."""
    slow: list[tuple[int, list[Emission]]] = []
    slot_of = gated.slot_of
    frame_at = frames.frame if isinstance(frames, PacketBatch) else frames.__getitem__

    def punted(index: int) -> None:
        if share is not None and share(port, int(slot_of[index])):
            return
        out: list[Emission] = []
        handle(frame_at(index), out)
        if out:
            slow.append((index, out))

    result = fast.process(side, fast.port_index(port), gated.batch, punted,
                          columns=(gated.keys, gated.info))
    flows.hits += len(result.emissions)
    if not slow:
        return result.emissions
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
