"""A flood of new TCP connections through in-memory host engines (SG-R25, SG-R24).

What once killed engines on real topologies: a VM opening ~25,000 connections a second
(raw SYNs, a new source port each) to a VM on another host. Here three ENIs on three
hosts flood each other in bursts large enough to grow every host's connection table and
fast-path flow table across several sizes, past a small flow-table maximum (CLOCK
eviction), a full receiving ENI (capacity refusals) and a connection table at its
`max_rows`; the clock ticks on every read, so rows expire between the rounds of a batch,
and jumps past the SYN timeout midway. Throughout, established flows keep being
delivered, every SYN is delivered or refused under a named reason, the tables stay
within their caps and keep the invariants that bound the kernels' indices, and no array a
growth replaced ever reaches a kernel again or stays referenced by the engine.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.admission import ordered
from smartnic.dataplane.conntrack import index as ix
from smartnic.dataplane.conntrack import rows as ct_rows
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.fastpath import FastPath, admit, core, entries, flowtable
from smartnic.dataplane.fastpath.admit import Admitter
from smartnic.dataplane.fastpath.batch import PacketBatch
from smartnic.dataplane.fastpath.logslots import LogSlots
from smartnic.dataplane.fastpath.tunnels import Tunnels
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import Config
from smartnic.ports.memory import MemoryPort
from smartnic.scenarios.sends import build_send
from tests.unit.dataplane.table_checks import check_conntrack, check_log_slots
from tests.unit.fastpath.fp_world import FLOW_LOG, OPEN, OUTER_DST_IP

pytestmark = pytest.mark.boundscheck

EB_CAPACITY = 3000  # eni-b: receives two floods and sends one; refuses past this
MAX_ROWS = {"host-1": 3000}  # host-1's connection table stops growing here
MAX_FLOWS = 2048  # every host's flow table: 1024 rows, 2048, then CLOCK eviction
BURST = 1500  # new connections per flooding ENI and round
BATCH = 250
ADDRESS = {"eni-a": "10.0.1.10", "eni-b": "10.0.1.20", "eni-c": "10.0.2.30"}
FLOODS = (("eni-a", "eni-b"), ("eni-c", "eni-b"), ("eni-b", "eni-a"))
ESTABLISHED = (("eni-a", "eni-b", 30000), ("eni-a", "eni-b", 30001), ("eni-c", "eni-b", 30002))
TCP_SPORT, TCP_CHECKSUM = 34, 50  # offsets in an IPv4 frame without options
REFUSED = "drop.conntrack_full.conntrack_table_full"
UNGATED = {"new_flows": 1_000_000}  # the tables, not the new-flow allowance, meet the flood


class TickingClock(VirtualClock):
    """Moves a millisecond on every read: a batch's rounds see different times."""

    def now(self) -> float:
        self._now += 0.001
        return self._now


# -- growth watch --------------------------------------------------------------------------

GROWTHS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (ConntrackTable, "_grow_rows", ("arrays", "_index", "_free", "_top")),
    (ConntrackTable, "_grow_enis", ("arrays",)),
    (flowtable.FlowTable, "grow", ("arrays",)),
    (LogSlots, "_grow", ("arrays",)),
    (Tunnels, "_grow", ("arrays",)),
    (FastPath, "eni_index", ("tally",)),
    (FastPath, "_columns_for", ("_columns",)),
    (FastPath, "_arena_for", ("_arena",)),
    (Admitter, "_fit", ("_cand", "_dup", "_dup_of", "_meta", "_addr", "_out", "_underlay",
                        "_touched", "_seen")),
)
# Kernels called from Python on the engine's path; none is called by another kernel
# through the module patched here, so a wrapper never meets numba's typing.
ENTRY_KERNELS: tuple[tuple[ModuleType, str], ...] = (
    (core, "classify_vm"), (core, "classify_underlay"), (core, "replay"),
    (admit, "scan"), (admit, "install"), (admit, "underlay_columns"),
    (ordered, "decide_vm_in_order"), (ordered, "decide_underlay_in_order"),
    (entries, "evict_one"), (flowtable, "ft_insert"), (flowtable, "_reindex"),
    (ct_rows, "sweep"), (ct_rows, "free_eni"), (ix, "rebuild"),
)


def arrays_in(value: Any) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from arrays_in(item)


class GrowthWatch:
    """Arrays a growth replaced are retired: a kernel given one, or an engine still
    holding one, fails the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.retired: dict[int, np.ndarray] = {}  # strong references keep ids unique
        self.growths: Counter[str] = Counter()
        for cls, method, attributes in GROWTHS:
            monkeypatch.setattr(cls, method, self._watching(cls, method, attributes))
        for module, name in ENTRY_KERNELS:
            monkeypatch.setattr(module, name, self._checking(name, getattr(module, name)))

    def _watching(self, cls: type, method: str, attributes: tuple[str, ...]) -> Callable:
        original = getattr(cls, method)

        def grow(owner: Any, *args: Any, **kwargs: Any) -> Any:
            before = [x for name in attributes for x in arrays_in(getattr(owner, name, None))]
            result = original(owner, *args, **kwargs)
            kept = {id(x) for name in attributes for x in arrays_in(getattr(owner, name))}
            replaced = [x for x in before if id(x) not in kept]
            for array in replaced:
                self.retired[id(array)] = array
            if replaced:
                self.growths[f"{cls.__name__}.{method}"] += 1
            return result
        return grow

    def _checking(self, name: str, kernel: Callable) -> Callable:
        def call(*args: Any) -> Any:
            for array in arrays_in(args):
                assert id(array) not in self.retired, f"{name} was given a retired array"
            return kernel(*args)
        return call

    def assert_none_held(self, engine: HostEngine) -> None:
        """No retired array is reachable from the engine's own objects."""
        seen, pending = set(), [engine]
        while pending:
            obj = pending.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, np.ndarray):
                assert id(obj) not in self.retired, "the engine holds a retired array"
                pending.append(obj.base)
            elif isinstance(obj, list | tuple | dict | set | frozenset) or (
                    type(obj).__module__.startswith("smartnic")):
                pending += gc.get_referents(obj)


# -- the cloud -----------------------------------------------------------------------------

def build_engines(config: Config, clock: VirtualClock) -> tuple[Program, dict[str, HostEngine]]:
    program = compile_program(config, 1)
    engines = {}
    for host in program.hosts.values():
        engine = HostEngine(host.id, program, clock, MemoryPort("underlay"))
        engine.ctx.conntrack = ConntrackTable(max_rows=MAX_ROWS.get(host.id, 1 << 22))
        engine.fastpath = FastPath(engine.ctx, max_flows=MAX_FLOWS)
        engine.load(program)
        engines[host.id] = engine
    return program, engines


class Flood:
    def __init__(self, config: Config, clock: VirtualClock) -> None:
        self.clock = clock
        self.program, self.engines = build_engines(config, clock)
        self.by_ip = {h.underlay_ip: h.id for h in self.program.hosts.values()}
        self.delivered: Counter[tuple[str, int, int]] = Counter()  # (ENI, TCP ports)

    def frame(self, src: str, dst: str, sport: int, flags: str, dport: int = 80) -> bytes:
        spec = {"from": src, "dst": ADDRESS[dst], "proto": "tcp", "sport": sport,
                "dport": dport, "flags": flags}
        (frame,) = build_send(self.program, spec).frames
        return frame

    def syns(self, src: str, dst: str, ports: range) -> list[bytes]:
        """SYNs from `src` to `dst`, one per source port (TCP checksum kept valid)."""
        batch = PacketBatch.repeat(self.frame(src, dst, ports[0], "S"), len(ports))
        batch.patch_be16(TCP_SPORT, np.arange(ports.start, ports.stop, dtype=np.int64),
                         TCP_CHECKSUM)
        return batch.frames()

    def send(self, src: str, frames: list[bytes]) -> None:
        host = self.program.enis[src].host_id
        underlay = self._collect(host, self.engines[host].process_vm_batch(src, frames))
        for _ in range(4):
            pending, underlay = underlay, {}
            for target, carried in sorted(pending.items()):
                out = self.engines[target].process_underlay_batch(carried)
                for hop, frames_on in self._collect(target, out).items():
                    underlay.setdefault(hop, []).extend(frames_on)

    def _collect(self, host: str, out: list[Any]) -> dict[str, list[bytes]]:
        underlay: dict[str, list[bytes]] = {}
        for emission in out:
            if emission.port == "underlay":
                target = self.by_ip[int.from_bytes(emission.frame[OUTER_DST_IP], "big")]
                underlay.setdefault(target, []).append(emission.frame)
            else:
                ports = emission.frame[TCP_SPORT:TCP_SPORT + 4]
                self.delivered[(emission.port.removeprefix("vm:"),
                                int.from_bytes(ports[:2], "big"),
                                int.from_bytes(ports[2:], "big"))] += 1
        return underlay

    def refused(self) -> int:
        return sum(c.get(REFUSED, 0) for e in self.engines.values()
                   for c in e.ctx.counters.snapshot().values())

    def drops(self) -> int:
        return sum(c.get("drops", 0) for e in self.engines.values()
                   for c in e.ctx.counters.snapshot().values())


def check_tables(flood: Flood, watch: GrowthWatch) -> None:
    for host, engine in flood.engines.items():
        table, fast = engine.ctx.conntrack, engine.fastpath
        assert fast is not None
        check_conntrack(table)
        check_log_slots(fast.entries)
        assert table.arrays.live.shape[0] <= MAX_ROWS.get(host, 1 << 22)
        assert fast.table.rows <= MAX_FLOWS and len(fast.table) <= MAX_FLOWS
        for eni in flood.program.enis_on(host):
            assert table.arrays.eni_count[table.eni_index(eni.id)] <= eni.conntrack_max
        watch.assert_none_held(engine)


def test_a_syn_flood_grows_evicts_refuses_and_keeps_established_flows(
        build_t1: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> None:
    watch = GrowthWatch(monkeypatch)
    config = build_t1({**OPEN, **FLOW_LOG,
                       "enis": [{"id": "eni-a", "limits": UNGATED},
                                {"id": "eni-b", "limits": {"conntrack_max": EB_CAPACITY,
                                                           **UNGATED}},
                                {"id": "eni-c", "limits": UNGATED}]})
    flood = Flood(config, TickingClock())
    for src, dst, sport in ESTABLISHED:  # three handshakes before the flood
        flood.send(src, [flood.frame(src, dst, sport, "S")])
        flood.send(dst, [flood.frame(dst, src, 80, "SA", dport=sport)])
        flood.send(src, [flood.frame(src, dst, sport, "A")])
    flood.delivered.clear()

    sent = 0
    for round_ in range(4):
        if round_ == 2:
            flood.clock.advance(121.0)  # every SYN_SENT row so far expires (SG-R24)
        base = 1024 + round_ * BURST  # new source ports every round
        for start in range(base, base + BURST, BATCH):
            for src, dst in FLOODS:
                data = [flood.frame(s, d, p, "PA") for s, d, p in ESTABLISHED if s == src]
                flood.send(src, flood.syns(src, dst, range(start, start + BATCH)) + data)
                sent += BATCH
            for src, dst, sport in ESTABLISHED:  # delivered both ways, every batch
                assert flood.delivered.pop((dst, sport, 80)) == 1
                flood.send(dst, [flood.frame(dst, src, 80, "PA", dport=sport)])
                assert flood.delivered.pop((src, 80, sport)) == 1
        check_tables(flood, watch)

    syns_delivered = sum(flood.delivered.values())
    assert syns_delivered + flood.refused() == sent  # every SYN: delivered or refused
    assert flood.drops() == flood.refused()  # and refused only under that name
    assert flood.refused() > 0 and syns_delivered > 0
    host1, host3 = flood.engines["host-1"], flood.engines["host-3"]
    assert host1.ctx.conntrack.arrays.live.shape[0] == MAX_ROWS["host-1"]  # at its cap
    assert host3.ctx.conntrack.arrays.live.shape[0] == 8192  # 1024 → 2048 → 4096 → 8192
    assert watch.growths["ConntrackTable._grow_rows"] >= 3 + 2 + 2
    assert watch.growths["FlowTable.grow"] == 3  # each host's table up to MAX_FLOWS
    assert host3.fastpath is not None and len(host3.fastpath.table) == MAX_FLOWS
    assert host3.fastpath.counters()["admitted"] >= 4 * BURST  # so many were evicted
