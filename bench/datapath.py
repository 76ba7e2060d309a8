"""The datapath the in-memory throughput is measured on: the numba fast path when the
engine has one, else the Python batch path — labelled, so the report says which.

`datapath_for(bed)` returns a `Datapath`:
  label, kind ("fastpath" | "python"), pool_packets(frame_bytes) (how many distinct frames
  a measurement replays), prepare(frames) -> an opaque batch list built before timing,
  encap(prepared) / decap(prepared) -> packets forwarded (one pass over the batches),
  punted(prepared, side) -> packets the fast path handed to the slow path in one pass,
  underlay_frames(frames) -> what the encap direction emits for `frames` (the decap pool),
  table_rows() -> how many flows the measured flow cache holds at most (None: unknown).
Flows are installed beforehand by `bench.bed.install` (one packet per flow through the
engines' `process_vm_batch` / `process_underlay_batch`), so every measured packet is a
flow-cache hit.
"""

from __future__ import annotations

from typing import Any, Protocol

from bench.bed import BATCH_PACKETS, Bed, deliver_to_server, send_from_client
from bench.policy import CLIENT

VM_SIDE, UNDERLAY_SIDE = 0, 1
UNDERLAY_PORT = 0  # the fast path numbers the underlay 0 and VM ports `vm:<eni>` from 1
FAST_BATCH_PACKETS = 1024


class Datapath(Protocol):
    label: str
    kind: str

    def pool_packets(self, frame_bytes: int) -> int: ...

    def prepare(self, frames: list[bytes]) -> Any: ...

    def encap(self, prepared: Any) -> int: ...

    def decap(self, prepared: Any) -> int: ...

    def punted(self, prepared: Any, side: int) -> int: ...

    def underlay_frames(self, frames: list[bytes]) -> list[bytes]: ...

    def table_rows(self) -> int | None: ...


class PythonPath:
    """`HostEngine.process_vm_batch` / `process_underlay_batch`, 256 frames a call."""

    label = "Python batch path (HostEngine.process_vm_batch / process_underlay_batch)"
    kind = "python"

    def __init__(self, bed: Bed) -> None:
        self.bed = bed

    def pool_packets(self, frame_bytes: int) -> int:
        return 8192  # ~0.3 s a pass at this path's rate: several passes per sample

    def prepare(self, frames: list[bytes]) -> list[bytes]:
        return frames

    def encap(self, prepared: list[bytes]) -> int:
        return len(send_from_client(self.bed, prepared))

    def decap(self, prepared: list[bytes]) -> int:
        return deliver_to_server(self.bed, prepared)

    def punted(self, prepared: list[bytes], side: int) -> int:
        return 0  # every packet runs in Python; misses are counted by the flow table

    def underlay_frames(self, frames: list[bytes]) -> list[bytes]:
        return send_from_client(self.bed, frames)

    def table_rows(self) -> int | None:
        return self.bed.client.flows.capacity


class FastPath:
    """`engine.fastpath.process(side, port_index, batch)` on `PacketBatch`es; punted packets
    are only listed (a hit measurement has none; `punted` counts them)."""

    label = "numba fast path (engine.fastpath.process on PacketBatch)"
    kind = "fastpath"

    def __init__(self, bed: Bed, packet_batch: Any) -> None:
        self.bed = bed
        self.packet_batch = packet_batch
        client: Any = bed.client  # typed loosely: engines gain `fastpath` as it is wired in
        server: Any = bed.server
        self.client_fast, self.server_fast = client.fastpath, server.fastpath
        self.client_port = int(self.client_fast.port_index(f"vm:{CLIENT['eni']}"))

    def pool_packets(self, frame_bytes: int) -> int:
        return 1 << 18 if frame_bytes <= 128 else 1 << 15  # 16 MB / 48 MB of frames

    def prepare(self, frames: list[bytes]) -> list[Any]:
        return [self.packet_batch.from_frames(frames[i:i + FAST_BATCH_PACKETS])
                for i in range(0, len(frames), FAST_BATCH_PACKETS)]

    def encap(self, prepared: list[Any]) -> int:
        process, port = self.client_fast.process, self.client_port
        return sum(len(process(VM_SIDE, port, batch).emissions) for batch in prepared)

    def decap(self, prepared: list[Any]) -> int:
        process = self.server_fast.process
        return sum(len(process(UNDERLAY_SIDE, UNDERLAY_PORT, batch).emissions)
                   for batch in prepared)

    def punted(self, prepared: list[Any], side: int) -> int:
        fast = self.client_fast if side == VM_SIDE else self.server_fast
        port = self.client_port if side == VM_SIDE else UNDERLAY_PORT
        return sum(len(fast.process(side, port, b).punted) for b in prepared)

    def underlay_frames(self, frames: list[bytes]) -> list[bytes]:
        """The underlay frames of every one of `frames` (the decap pool): through the
        engine's batch entry point, so packets the fast path no longer holds (more flows
        than its table) still produce theirs."""
        return send_from_client(self.bed, frames)

    def table_rows(self) -> int | None:
        """How many flows the fast path's table holds at most, when it says."""
        table = getattr(self.client_fast, "table", None)
        rows = getattr(table, "max_rows", None)
        return int(rows) if rows is not None else None


def datapath_for(bed: Bed) -> Datapath:
    """The fast path if the engine carries one, else the Python batch path."""
    if getattr(bed.client, "fastpath", None) is None:
        return PythonPath(bed)
    from smartnic.dataplane.fastpath import PacketBatch

    return FastPath(bed, PacketBatch)


__all__ = ["BATCH_PACKETS", "Datapath", "FastPath", "PythonPath", "datapath_for"]
