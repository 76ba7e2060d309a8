"""`FastPath`: the kernels behind a small Python API, bound to one engine's state.

It shares the engine's EngineContext: connection tracking (numpy rows the kernels touch),
clock, counters (`rx_packets` is merged after every kernel run) and flow-log collector
(slots flushed after every kernel run). Ports are numbered: 0 is the underlay, VM ports
`vm:<eni>` get numbers as they appear (`port_names`).

API:
    process(side, port_index, batch, slow=None, columns=None) -> FastResult(emissions, punted)
        With `slow`, each punted packet is handed to slow(i) at its place in the batch,
        before any later packet is replayed; without it punts are only listed. `columns`:
        the batch already classified (the engine's gate did it; DROPPED packets skipped).
    install(key, action) -> bool     key: a keys.py tuple or its words (flowkey.py)
    learn(key, action | None)        install, or remove the key when the slow path decided
                                     something the fast path cannot replay
    remove(key), reset_generation(program, policy=None), counters()
    flush_logs(collector=None)       flow-log slots and rx_packets to the engine (done after
                                     every kernel run by `process` itself)

With a CompiledPolicy (`reset_generation(program, policy)`, HostEngine.load gives one),
each batch runs in rounds: the admission pre-pass (admit.py) decides and installs new
flows up to where the slow path may be needed, replay runs to there, the slow path takes
the punted packet, and the next round starts after it.

Decisions: the table is never cleared on a Program change (entries of older generations
are re-decided when their flow comes back, and replaced in place); it is cleared only when
a different Program arrives under the same generation number, or the overlay changes.
The clock is read once per kernel run, not per packet: equal for a virtual clock, within
microseconds for the system clock.

Example:
    fast = FastPath(engine.ctx)
    fast.install(flow_key(vm_origin(eni.tag), pkt), action)
    result = fast.process(VM_SIDE, fast.port_index("vm:eni-a"), PacketBatch.from_frames(frames))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import NamedTuple

import numpy as np

from smartnic.compiler.program import Program
from smartnic.dataplane.actions import FlowAction
from smartnic.dataplane.admission import CompiledPolicy
from smartnic.dataplane.context import EngineContext
from smartnic.dataplane.fastpath import action_rows as rows
from smartnic.dataplane.fastpath.admit import Admitter
from smartnic.dataplane.fastpath.admit_view import AdmitView
from smartnic.dataplane.fastpath.batch import Emissions, PacketBatch
from smartnic.dataplane.fastpath.classify import classify_underlay, classify_vm
from smartnic.dataplane.fastpath.columns import INFO_COLUMNS
from smartnic.dataplane.fastpath.entries import Entries
from smartnic.dataplane.fastpath.flowkey import ROW_WORDS, VM_SIDE, key_words
from smartnic.dataplane.fastpath.flowtable import FlowTable
from smartnic.dataplane.fastpath.logslots import LogSlots
from smartnic.dataplane.fastpath.parse import PUNT_REASONS
from smartnic.dataplane.fastpath.program_view import ProgramView
from smartnic.dataplane.fastpath.replay import (
    R_PORT,
    R_PUNTED,
    R_SOURCE,
    R_START,
    T_BYTES,
    T_EMITTED,
    T_LOGGED,
    T_PUNTED,
    T_RX,
    TALLY_RX,
    replay,
)
from smartnic.dataplane.fastpath.tunnels import MAX_HEADER_BYTES, Tunnels
from smartnic.telemetry.flowlogs import FlowLogCollector

FEW_ENIS = 32  # up to this many, rx counts are walked in Python rather than found by numpy
Key = Hashable | np.ndarray  # a keys.py flow key tuple, or its words (flowkey.py)


class FastResult(NamedTuple):
    emissions: Emissions
    punted: np.ndarray  # int64 indices of the packets left to the slow path, in order


class FastPath:
    def __init__(self, ctx: EngineContext, *, max_flows: int = 1 << 20,
                 kernel_install: bool = True) -> None:
        self.ctx = ctx
        self.port_names: list[str] = ["underlay"]
        self._ports = {"underlay": 0}
        self.eni_names: list[str] = []
        self._enis: dict[str, int] = {}
        self.logs = LogSlots(eni_names=self.eni_names)
        self.entries = Entries(max_flows, self.logs)
        self._set_tally(np.zeros(TALLY_RX + 16, np.int64))  # replay.py: counters, cursors, rx
        self.tunnels = Tunnels(ctx.underlay_ip, ctx.program.overlay)
        self._columns = (np.zeros((0, ROW_WORDS), np.uint64), np.zeros((INFO_COLUMNS, 0), np.int64))
        self._arena = _arena(0, 0)
        self._results: dict[tuple[int, int], FastResult] = {}
        self.view = ProgramView(ctx.program, ctx.name, ctx.underlay_ip, self.port_index)
        self.kernel_install = kernel_install  # False: admitted flows installed by the twin
        self.admitter: Admitter | None = None
        self.admission_tally = np.zeros(2, np.int64)  # admitted flows, refused packets
        self.reset_generation(ctx.program)

    @property
    def table(self) -> FlowTable:
        return self.entries.table

    @property
    def actions(self) -> list[FlowAction | None]:
        return self.entries.actions

    # -- registries ----------------------------------------------------------------------
    def port_index(self, name: str) -> int:
        index = self._ports.get(name)
        if index is None:
            index = self._ports[name] = len(self.port_names)
            self.port_names.append(name)
        return index

    def eni_index(self, eni_id: str) -> int:
        index = self._enis.get(eni_id)
        if index is None:
            index = self._enis[eni_id] = len(self.eni_names)
            self.eni_names.append(eni_id)
            if TALLY_RX + index >= self.tally.shape[0]:
                self._set_tally(np.concatenate([self.tally, np.zeros(index + 1, np.int64)]))
        return index

    def _set_tally(self, tally: np.ndarray) -> None:
        """The tally and a memoryview of it: the per-batch reads and resets go through the
        view, a fraction of a numpy call's cost on cold caches."""
        self.tally = tally
        self._tally_view = tally.data

    # -- configuration -------------------------------------------------------------------
    def reset_generation(self, program: Program, policy: CompiledPolicy | None = None) -> None:
        """Replay only what `program` decided from now on; with `policy` (compiled for
        `program`), decide new flows in the admission pre-pass."""
        same_number = program.generation == self.view.program.generation
        if (same_number and program is not self.view.program) or (
                program.overlay != self.tunnels.kind):
            self.clear()
        if program.overlay != self.tunnels.kind:
            self.tunnels = Tunnels(self.ctx.underlay_ip, program.overlay)
        self.view = ProgramView(program, self.ctx.name, self.ctx.underlay_ip, self.port_index)
        logged = frozenset(e for s in self.ctx.flowlogs.specs for e in s.eni_ids)
        self.env = rows.CompileEnv(self.port_index, self.eni_index, self.tunnels, self.logs,
                                   logged)
        self.admitter = None if policy is None else Admitter(
            AdmitView(policy, self.port_index, self.eni_index, logged, self.tunnels,
                      self.ctx.name),
            self.entries, self.ctx, self.install, self.admission_tally,
            kernel_install=self.kernel_install)

    def clear(self) -> None:
        """Drop every entry (and every flow-log slot: they all belong to entries)."""
        self.flush()
        self.logs = LogSlots(eni_names=self.eni_names)
        self.entries = Entries(self.entries.table.max_rows, self.logs)
        self.env.logs = self.logs
        if self.admitter is not None:
            self.admitter.entries = self.entries

    # -- entries -------------------------------------------------------------------------
    def install(self, key: Key, action: FlowAction) -> bool:
        """Install (or replace) the entry of `key`; False when `action` is not replayable."""
        words = _words(key)
        row = self.entries.find(words)
        if row >= 0 and self.entries.actions[row] is action:
            return True
        self.flush()  # a slot given back must not lose packets it still owes the collector
        values = rows.compile_action(action, self.env)
        if values is None:
            if row >= 0:
                self.entries.remove(row)
            return False
        self.entries.put(words, values, action)
        return True

    def learn(self, key: Key, action: FlowAction | None) -> None:
        if action is None:
            self.remove(key)
        else:
            self.install(key, action)

    def remove(self, key: Key) -> None:
        row = self.entries.find(_words(key))
        if row >= 0:
            self.flush()
            self.entries.remove(row)

    # -- batches -------------------------------------------------------------------------
    def process(self, side: int, port_index: int, batch: PacketBatch,
                slow: Callable[[int], None] | None = None,
                columns: tuple[np.ndarray, np.ndarray] | None = None) -> FastResult:
        count = len(batch)
        keys, info = columns if columns is not None else self.classify(side, port_index, batch)
        arena = self._arena_for(batch)
        position, admitter = 0, self.admitter
        while position < count:
            now_s = self.ctx.clock.now()
            end = count
            if admitter is not None and slow is not None:
                end = admitter.run(side, port_index, position, count, now_s, keys, info)
            stop = int(self._replay(position, end, slow is not None, now_s, batch, keys, info))
            self.flush(now_s)
            if slow is None:
                break
            if stop < end:
                slow(stop)
                position = stop + 1
            else:
                position = end
        return self._result(arena, self._tally_view[T_EMITTED], self._tally_view[T_PUNTED])

    def _result(self, arena: Arena, emitted: int, punted: int) -> FastResult:
        """Views of the arena's first `emitted` emissions and `punted` punts, made once per
        (arena, counts) pair: small batches repeat the same counts."""
        key = (emitted, punted)
        result = self._results.get(key)
        if result is None or result.emissions.batch.buf is not arena.buf:
            if len(self._results) > 64:
                self._results.clear()
            table = arena.table
            emissions = Emissions(
                PacketBatch(arena.buf, table[R_START, :emitted], arena.length[:emitted]),
                table[R_PORT, :emitted], table[R_SOURCE, :emitted])
            result = self._results[key] = FastResult(emissions, table[R_PUNTED, :punted])
        return result

    def classify(self, side: int, port_index: int,
                 batch: PacketBatch) -> tuple[np.ndarray, np.ndarray]:
        """The batch's columns (classify.py), in arrays reused while batch sizes repeat."""
        keys, info = self._columns_for(len(batch))
        if side == VM_SIDE:
            mac, tag = self.view.vm_ports.get(port_index, (-1, 0))
            classify_vm(batch.buf, batch.start, batch.length, mac, tag, keys, info)
        else:
            classify_underlay(batch.buf, batch.start, batch.length, self.view.admission,
                              keys, info)
        return keys, info

    def _replay(self, position: int, end: int, stop_on_punt: bool, now_s: float,
                batch: PacketBatch, keys: np.ndarray, info: np.ndarray) -> int:
        ft, table, tunnels = self.table.arrays, self.ctx.conntrack, self.tunnels.arrays
        ct, logs, arena = table.arrays, self.logs.arrays, self._arena
        return replay(  # type: ignore[no-any-return]
            position, end, stop_on_punt, now_s, self.view.generation, batch.buf, keys, info,
            ft.slots, ft.keys, ft.acts, ct.live, ct.incarnation, ct.expires_s, ct.state,
            ct.proto_class, ct.eni, ct.packets, ct.bytes, ct.last_seen_s, ct.timeouts_s,
            table.tcp_columns, tunnels.header, tunnels.info, logs.acc, logs.order, arena.buf,
            arena.table, arena.length, self.tally)

    def _columns_for(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Column arrays of exactly `count` packets (kept while batch sizes repeat)."""
        keys, info = self._columns
        if keys.shape[0] != count:
            self._columns = keys, info = (np.empty((count, ROW_WORDS), np.uint64),
                                          np.empty((INFO_COLUMNS, count), np.int64))
        return keys, info

    def _arena_for(self, batch: PacketBatch) -> Arena:
        """Room for every packet emitted once with the largest outer headers (replay.emit
        writes without checks): frames may share bytes of `buf`, so their lengths count."""
        count = len(batch)
        frame_bytes = batch.frame_bytes if batch.frame_bytes >= 0 else int(
            batch.length.sum(dtype=np.int64))
        needed = frame_bytes + count * MAX_HEADER_BYTES
        arena = self._arena
        if arena.length.shape[0] < count or arena.buf.shape[0] < needed:
            self._arena = arena = _arena(max(count, 2 * arena.length.shape[0]),
                                         max(needed, 2 * arena.buf.shape[0]))
            self._results.clear()
        tally = self._tally_view
        tally[T_EMITTED] = tally[T_BYTES] = tally[T_PUNTED] = 0
        return arena

    # -- telemetry -----------------------------------------------------------------------
    def flush_logs(self, collector: FlowLogCollector | None = None) -> None:
        """Hand accumulated flow-log observations (to `collector`, by default the engine's)
        and `rx_packets` to the engine."""
        self.flush(None, collector)

    def flush(self, now_s: float | None = None,
              collector: FlowLogCollector | None = None) -> None:
        tally = self._tally_view
        if tally[T_LOGGED]:
            now_s = self.ctx.clock.now() if now_s is None else now_s
            self.logs.flush(collector or self.ctx.flowlogs, now_s, tally[T_LOGGED])
            tally[T_LOGGED] = 0
        if tally[T_RX]:
            names = self.eni_names
            received = (range(len(names)) if len(names) <= FEW_ENIS else np.flatnonzero(
                self.tally[TALLY_RX:TALLY_RX + len(names)]).tolist())
            for index in received:
                if tally[TALLY_RX + index]:
                    self.ctx.counters.add(names[index], "rx_packets", tally[TALLY_RX + index])
                    tally[TALLY_RX + index] = 0
            tally[T_RX] = 0

    @property
    def hits(self) -> int:
        return int(self.tally[0])

    def counters(self) -> dict[str, int]:
        names = ("hits", *(f"punt_{reason}" for reason in PUNT_REASONS[1:]))
        counts = self.tally[:len(PUNT_REASONS)].tolist()
        admitted, refused = self.admission_tally.tolist()
        admission = {} if self.admitter is None else {"admitted": admitted, "refused": refused}
        return {**dict(zip(names, counts, strict=True)), **admission,
                "entries": len(self.table)}


class Arena(NamedTuple):
    """Output of the replay kernel: frames, and per emission start/port/source (+ punts)."""

    buf: np.ndarray  # uint8
    table: np.ndarray  # int64[4, n]: replay.R_START, R_PORT, R_SOURCE, R_PUNTED
    length: np.ndarray  # int32[n]


def _words(key: Key) -> np.ndarray:
    if isinstance(key, np.ndarray):
        return key
    assert isinstance(key, tuple)
    return key_words(key)


def _arena(count: int, arena_bytes: int) -> Arena:
    return Arena(np.zeros(arena_bytes, np.uint8), np.zeros((4, count), np.int64),
                 np.zeros(count, np.int32))
