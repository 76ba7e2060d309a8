"""The engine of one host: VM ports on one side, the underlay on the other.

Per batch: parse → flow-cache lookup → (miss) slow path, install → apply the action →
transmit grouped by port. The flow cache replays decisions only while their generation
and connection-tracking entries are current (see flowtable.py). Every dropped packet is
counted with its stage and reason on the ENI concerned; nothing raises out of `poll`.

With the fast path (the default, unless a journal is kept: `trace` and scenarios explain
every packet), batches run through numba kernels (dataplane/fastpath/) and only what they
punt comes here, at its place in the batch; every action the Python path decides is also
offered to the fast path (`learn`), which replays those it can. With admission (the
default with the fast path), `load` compiles the Program for the admission kernels
(dataplane/admission/) and the fast path decides and installs the common new flows
itself (fastpath/admit.py), in an order that cannot be told from this one.

Fairness between ENIs (docs/architecture.md): every batch is first classified and gated
(batch_gate.py: each ENI's new-flow allowance, the same in both engines); `poll` serves
the ports round-robin, one budgeted batch each per round; with `round_s` (the engine
processes set it) a batch's budget is also engine time (port_budget.py: a port whose
frames are costly gets short batches) and connection openings beyond what fits a round
wait, per ENI, for the next rounds (opening_backlog.py) while the rest of their batch goes
on; with `slowpath_pps` (the
engine processes set it) each ENI's punts to the Python stages are capped
(host_batches.py).

Flow-log records: `tick` returns those of the windows that closed; with `keep_flow_logs`
(in-process clouds: scenarios, the demo) the collector also keeps every one for
`flowlogs.records()`; engine processes deliver them as files and keep none, so their
memory does not grow with their age.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import replace
from time import perf_counter

from smartnic.clock import Clock
from smartnic.compiler.program import Program
from smartnic.dataplane import l2
from smartnic.dataplane.actions import FlowAction, Output, ToService, ToUnderlay, ToVm
from smartnic.dataplane.admission import CompiledPolicy
from smartnic.dataplane.allowance import FLOW_LOG_FLOWS_PER_WINDOW, Allowances, SlowPathShare
from smartnic.dataplane.batch_gate import Gate, Gated
from smartnic.dataplane.conntrack.table import ConntrackTable
from smartnic.dataplane.context import EngineContext
from smartnic.dataplane.fastpath import UNDERLAY_SIDE, VM_SIDE, FastPath
from smartnic.dataplane.fastpath.batch import Emissions
from smartnic.dataplane.fastpath.columns import I_STATUS
from smartnic.dataplane.fastpath.host_batches import Frames, as_frame_list, merge, run_batch
from smartnic.dataplane.fastpath.parse import DROPPED
from smartnic.dataplane.flowtable import FlowTable, FragmentTable
from smartnic.dataplane.intake import Arrival, receive
from smartnic.dataplane.journal import PacketEvent
from smartnic.dataplane.keys import flow_key, fragment_key, underlay_origin, vm_origin
from smartnic.dataplane.opening_backlog import OpeningBacklog
from smartnic.dataplane.port_budget import PortBudgets
from smartnic.dataplane.port_groups import port_runs
from smartnic.dataplane.runner import ActionRunner, Emission, overlay_frame
from smartnic.dataplane.services import ServiceDesk, default_responders
from smartnic.dataplane.slowpath import decide_from_underlay, decide_from_vm
from smartnic.dataplane.verdict import DROP, Drop, Hop
from smartnic.packet import MalformedPacket, Packet, parse_frame
from smartnic.ports.base import Port
from smartnic.telemetry.counters import Counters
from smartnic.telemetry.flowlogs import FlowLogCollector, FlowLogRecord

VM_PORT_BUDGET = 256  # frames a VM port may hand over per round
UNDERLAY_BUDGET_PER_ENI = 256  # the underlay carries every local ENI's arrivals
NEW_FLOW_REFUSAL = ("allowance_exceeded", "new_flow_allowance")
OPENING_BACKLOG_FULL = ("allowance_exceeded", "opening_backlog")
OPENING_COST_S = 50e-6  # what an opening is taken to cost before the engine measured it


class HostEngine:
    def __init__(self, host_id: str, program: Program, clock: Clock, underlay: Port, *,
                 journal: bool = False, fastpath: bool = True, admission: bool = True,
                 slowpath_pps: int | None = None, keep_flow_logs: bool = True,
                 round_s: float | None = None) -> None:
        self.host_id = host_id
        counters = Counters()
        self.ctx = EngineContext(
            host_id, program, clock, ConntrackTable(), counters,
            FlowLogCollector([], {}, clock.now(), max_flows_per_window=FLOW_LOG_FLOWS_PER_WINDOW,
                             keep_final=keep_flow_logs),
            Allowances(),
            program.hosts[host_id].underlay_ip,
        )
        self.underlay = underlay
        self.vm_ports: dict[str, Port] = {}
        self.flows = FlowTable()
        self.fragments = FragmentTable()
        self.services = ServiceDesk(counters, clock.now)
        self.services.responders = default_responders()
        self.runner = ActionRunner(self.ctx, self.services)
        self.journal: list[PacketEvent] | None = [] if journal else None
        self.fastpath = FastPath(self.ctx) if fastpath and not journal else None
        self.admission = admission
        self.gate = Gate()
        self.share = None if slowpath_pps is None else SlowPathShare(slowpath_pps)
        self._round = 0
        self.budgets: PortBudgets | None = None
        self.openings: PortBudgets | None = None
        self.backlog: OpeningBacklog | None = None
        if round_s is not None and self.fastpath is not None:  # held openings need it
            self.budgets = PortBudgets(round_s)
            self.openings = PortBudgets(round_s, initial_s=OPENING_COST_S)
            self.backlog = OpeningBacklog()
        self.load(program)

    # -- configuration -------------------------------------------------------------------
    def load(self, program: Program) -> None:
        """Swap to a new Program; connection tracking and flow-log windows carry over."""
        ctx = self.ctx
        ctx.program = program
        self.services.program = program
        local = {e.id: e for e in program.enis_on(self.host_id)}
        for eni in local.values():
            ctx.conntrack.configure_eni(eni.id, eni.conntrack_max, eni.timeouts)
        for eni_id in [e for e in self.vm_ports if e not in local]:
            ctx.conntrack.remove_eni(eni_id)
        specs = [replace(s, eni_ids=s.eni_ids & frozenset(local))
                 for s in program.flow_log_specs]
        contexts = {e: c for e, c in program.eni_log_contexts.items() if e in local}
        ctx.flowlogs.reconfigure(specs, contexts, ctx.clock.now())
        self.gate.load(program, self.host_id, ctx.underlay_ip, ctx.clock.now())
        if self.fastpath is not None:
            policy = CompiledPolicy(program, self.host_id, ctx.conntrack) if (
                self.admission) else None
            self.fastpath.reset_generation(program, policy)

    def attach(self, eni_id: str, port: Port) -> None:
        self.vm_ports[eni_id] = port

    def detach(self, eni_id: str) -> None:
        self.vm_ports.pop(eni_id, None)
        for budgets in (self.budgets, self.openings, self.backlog):
            if budgets is not None:
                budgets.forget(eni_id)

    # -- the loop ------------------------------------------------------------------------
    def poll(self) -> int:
        """One round: a batch from every port, each within its budget, starting one port
        further each round so no port is always served first; returns the frames handled.
        Ports that hand over and take batches as arrays (`rx_packets` / `tx_packets`) do
        so: the common case then makes no Python object per frame."""
        ports: list[tuple[str | None, Port]] = [(None, self.underlay),
                                                *self.vm_ports.items()]
        start = self._round % len(ports)
        self._round += 1
        return sum(self._serve(eni_id, port) for eni_id, port in ports[start:] + ports[:start])

    def _serve(self, eni_id: str | None, port: Port) -> int:
        """One port's turn in a round: its held openings first, then a batch of new frames."""
        ceiling = (UNDERLAY_BUDGET_PER_ENI * max(1, len(self.vm_ports)) if eni_id is None
                   else VM_PORT_BUDGET)
        handled = self._serve_held(eni_id) if self.backlog is not None else 0
        budgets = self.budgets
        started = perf_counter()
        frames = self._receive(port, budgets.frames(eni_id, ceiling) if budgets else ceiling)
        if not len(frames):
            return handled
        self._send(self._process_from(eni_id, frames, hold=True))
        if budgets is not None:
            budgets.spent(eni_id, len(frames), perf_counter() - started)
        return handled + len(frames)

    def _serve_held(self, eni_id: str | None) -> int:
        assert self.backlog is not None and self.openings is not None
        frames = self.backlog.take(eni_id, self.openings.frames(eni_id, VM_PORT_BUDGET))
        if not frames:
            return 0
        started = perf_counter()
        self._send(self._process_from(eni_id, frames, charge=False))
        self.openings.spent(eni_id, len(frames), perf_counter() - started)
        return len(frames)

    def _receive(self, port: Port, budget: int) -> Frames:
        receive = getattr(port, "rx_packets", None)
        if receive is None or self.fastpath is None:
            return port.rx_batch(budget)
        return receive(budget)  # type: ignore[no-any-return]

    def _send(self, out: list[Emission] | Emissions) -> None:
        if isinstance(out, list):
            self.transmit(out)
        else:
            self.transmit_packets(out)

    def tick(self) -> list[FlowLogRecord]:
        """Close flow-log windows that ended; returns the newly final records."""
        return self.ctx.flowlogs.advance(self.ctx.clock.now())

    def tick_pending(self) -> Iterator[FlowLogRecord]:
        """As `tick`, each record rendered when taken (engine processes deliver them a
        slice per loop pass: runtime/flowlog_outbox.py)."""
        return self.ctx.flowlogs.advance_pending(self.ctx.clock.now())

    def transmit(self, emissions: list[Emission]) -> None:
        by_port: dict[str, list[bytes]] = {}
        for emission in emissions:
            by_port.setdefault(emission.port, []).append(emission.frame)
        for name, frames in by_port.items():
            port = self._port_named(name)
            if port is None:
                self.ctx.counters.add(None, "tx_no_port", len(frames))
            else:
                port.tx_batch(frames)

    def transmit_packets(self, emissions: Emissions) -> None:
        """The fast path's emissions straight from its arena, one batch per port, each in
        the order of the packets that produced them."""
        assert self.fastpath is not None
        names = self.fastpath.port_names
        for index, batch in port_runs(emissions):
            port = self._port_named(names[index])
            if port is None:
                self.ctx.counters.add(None, "tx_no_port", len(batch))
                continue
            send = getattr(port, "tx_packets", None)
            if send is None:
                port.tx_batch(batch.frames())
            else:
                send(batch)

    def _port_named(self, name: str) -> Port | None:
        return self.underlay if name == "underlay" else self.vm_ports.get(name[3:])

    # -- batches -------------------------------------------------------------------------
    def process_vm_batch(self, eni_id: str, frames: Frames) -> list[Emission]:
        return self._listed(self._process_from(eni_id, frames))

    def process_underlay_batch(self, frames: Frames) -> list[Emission]:
        return self._listed(self._process_from(None, frames))

    def _process_from(self, eni_id: str | None, frames: Frames, *, charge: bool = True,
                      hold: bool = False) -> list[Emission] | Emissions:
        """A batch from the VM port of `eni_id`, or from the underlay (None). `charge`:
        False for held openings (their allowance was taken when they arrived); `hold`:
        openings beyond the round's share wait (only `poll` serves them later)."""
        if eni_id is None:
            return self._process(UNDERLAY_SIDE, None, "underlay", frames, self._from_underlay,
                                 charge, hold)

        def handle(frame: bytes, out: list[Emission]) -> None:
            self._from_vm(eni_id, frame, out)

        return self._process(VM_SIDE, eni_id, f"vm:{eni_id}", frames, handle, charge, hold)

    def _listed(self, out: list[Emission] | Emissions) -> list[Emission]:
        if isinstance(out, list):
            return out
        assert self.fastpath is not None
        return merge(out, self.fastpath.port_names, [])

    def _process(self, side: int, eni_id: str | None, source: str, frames: Frames,
                 handle: Callable[[bytes, list[Emission]], None], charge: bool = True,
                 hold: bool = False) -> list[Emission] | Emissions:
        gated = self.gate.run(side, eni_id, frames, self.ctx.clock.now(), charge=charge)
        if self.fastpath is not None:
            if gated.refused:  # most batches refuse nothing: skip the per-ENI walk
                self._count_refused()
            if hold and self.backlog is not None:
                self._hold_openings(eni_id, gated)
            return run_batch(self.fastpath, side, source, frames, gated, handle, self.flows,
                             self._share_drop if self.share is not None else None)
        if gated.refused:
            self.gate.take_refused()  # counted below, each at its place
        out: list[Emission] = []
        for i, frame in enumerate(as_frame_list(frames)):
            if gated.refused and gated.info[I_STATUS, i] == DROPPED:
                self._refuse_opening(source, gated, i, out)
            else:
                handle(frame, out)
        return out

    def _count_refused(self) -> None:
        counters = self.ctx.counters
        for eni_id, count in self.gate.take_refused():
            counters.add(eni_id, "new_flow_allowance_exceeded", count)
            counters.drop(eni_id, *NEW_FLOW_REFUSAL, count)

    def _hold_openings(self, eni_id: str | None, gated: Gated) -> None:
        """Openings beyond a round's share wait (opening_backlog.py); counted when no
        room is left."""
        assert self.backlog is not None and self.openings is not None
        quota = self.openings.frames(eni_id, VM_PORT_BUDGET)
        if len(gated.batch) <= quota and not self.backlog.holds(eni_id):
            return  # no slot can have more openings than that: nothing to look for
        for slot, count in self.backlog.hold(eni_id, gated, quota).items():
            held_for = self.gate.allowance.names[slot]
            self.ctx.counters.add(held_for, "opening_backlog_full", count)
            self.ctx.counters.drop(held_for, *OPENING_BACKLOG_FULL, count)

    def _refuse_opening(self, source: str, gated: Gated, i: int, out: list[Emission]) -> None:
        """One connection opening over its ENI's new-flow allowance (the Python path's way:
        counted and journalled at its place)."""
        eni_id = self.gate.allowance.names[int(gated.slot_of[i])]
        self.ctx.counters.add(eni_id, "new_flow_allowance_exceeded")
        self._refuse(source, Drop(*NEW_FLOW_REFUSAL, eni_id), out)

    def _share_drop(self, source: str, slot: int) -> bool:
        """True (counted) when the packet's ENI has used its share of the slow path."""
        assert self.share is not None
        eni_id = self.gate.allowance.names[slot] if slot >= 0 else None
        if self.share.admit(eni_id or "engine", self.ctx.clock.now()):
            return False
        self.ctx.counters.add(eni_id, "slowpath_share_exceeded")
        self._refuse(source, Drop("allowance_exceeded", "slowpath_share", eni_id), [])
        return True

    def _from_vm(self, eni_id: str, frame: bytes, out: list[Emission]) -> None:
        source = f"vm:{eni_id}"
        eni = self.ctx.program.enis.get(eni_id)
        if eni is None or eni.host_id != self.host_id:
            return self._refuse(source, Drop("no_destination", "unknown_eni", None), out)
        try:
            pkt = parse_frame(frame)
        except MalformedPacket as error:
            return self._refuse(source, Drop("parse", error.reason, eni_id), out)
        if pkt.vlan_id is not None:
            return self._refuse(source, Drop("parse", "vlan_tagged", eni_id), out)
        if pkt.eth_src != eni.mac:
            return self._refuse(source, Drop("src_dst_check", "source_mac_not_owned", eni_id), out)
        if l2.is_l2_control(pkt):
            return self._answer_l2(source, eni_id, pkt, out)
        self._forward(source, eni_id, vm_origin(eni.tag), frame, pkt,
                      lambda: decide_from_vm(self.ctx, eni, pkt), out)

    def _from_underlay(self, frame: bytes, out: list[Emission]) -> None:
        arrival = receive(self.ctx.program, self.ctx.underlay_ip, frame)
        if isinstance(arrival, Drop):
            return self._refuse("underlay", arrival, out)
        if l2.is_l2_control(arrival.pkt):
            return self._answer_remote_l2(arrival, out)
        receiver = self.ctx.program.eni_by_mac.get(arrival.pkt.eth_dst)
        if receiver is None or receiver.host_id != self.host_id:
            return self._refuse("underlay", Drop("decap", "unknown_eni"), out)
        origin = underlay_origin(arrival.overlay.outer_src_ip, arrival.overlay.vni,
                                 arrival.sender_tag, receiver.tag)
        self._forward("underlay", None, origin, arrival.inner, arrival.pkt,
                      lambda: self._decide_arrival(arrival, receiver), out)

    def _decide_arrival(self, arrival: Arrival, receiver) -> FlowAction:  # type: ignore[no-untyped-def]
        gateway = arrival.vpc.igw_id if arrival.from_edge else None
        return decide_from_underlay(
            self.ctx, arrival.pkt, vpc=arrival.vpc, receiver=receiver, sender=arrival.sender,
            sender_tag=arrival.sender_tag, from_gateway=gateway,
        )

    def _forward(self, source: str, sender_eni: str | None, origin: tuple[int, ...],
                 frame: bytes, pkt: Packet, decide: Callable[[], FlowAction],
                 out: list[Emission]) -> None:
        if pkt.is_fragment and pkt.l4_offset is None:
            action = self.fragments.find(fragment_key(origin, pkt), self.ctx.clock.now())
            if action is None:
                refused = Drop("parse", "fragment_without_first", sender_eni)
                return self._refuse(source, refused, out)
            cached = True
        else:
            action, cached = self._lookup(flow_key(origin, pkt), pkt, decide)
            if pkt.is_fragment:
                self.fragments.remember(fragment_key(origin, pkt), action, self.ctx.clock.now())
        start = len(out)
        drop = self.runner.run(action, frame, pkt, out)
        self._record(source, action.hops, drop, out[start:], cached,
                     None if drop else delivered_to(action.output))

    def _lookup(self, key: Hashable, pkt: Packet,
                decide: Callable[[], FlowAction]) -> tuple[FlowAction, bool]:
        cached = self.flows.get(key)
        if cached is not None and self.runner.is_current(cached, pkt):
            self.flows.hits += 1
            if self.fastpath is not None:
                self.fastpath.learn(key, cached)
            return cached, True
        self.flows.misses += 1
        action = decide()
        if action.cacheable:
            self.flows.install(key, action)
        elif cached is not None:
            self.flows.remove(key)
        if self.fastpath is not None:
            self.fastpath.learn(key, action if action.cacheable else None)
        return action, False

    def _answer_l2(self, source: str, eni_id: str, pkt: Packet, out: list[Emission]) -> None:
        reason = l2.refusal(self.ctx.program.enis[eni_id], pkt)
        if reason is not None:
            return self._refuse(source, Drop("l2", reason, eni_id), out)
        replies = l2.answer(self.ctx.program, self.ctx.program.enis[eni_id], pkt)
        self.ctx.counters.add(eni_id, "l2_answered" if replies else "l2_absorbed")
        emitted = [Emission(source, r) for r in replies]
        out.extend(emitted)
        kind = "arp" if pkt.arp is not None else "neighbor discovery"
        detail = f"{kind} answered by the VPC router" if replies else f"{kind} absorbed"
        self._record(source, (Hop(self.host_id, "l2", "answer", detail),), None, emitted, False)

    def _answer_remote_l2(self, arrival: Arrival, out: list[Emission]) -> None:
        """ARP/ND flooded by a kernel VXLAN peer: answer for the ENIs of this host only."""
        program, sender = self.ctx.program, arrival.sender
        assert sender is not None and arrival.source_host is not None
        replies = [r for r in l2.answer(program, sender, arrival.pkt)
                   if program.eni_by_mac.get(r[6:12]) in program.enis_on(self.host_id)]
        host = program.hosts[arrival.source_host]
        for reply in replies:
            output = ToUnderlay(host.id, host.underlay_ip, arrival.overlay.vni, None,
                                reply[6:12], reply[:6], arrival.overlay.udp_src_port)
            out.append(Emission("underlay", overlay_frame(program.overlay,
                                                          self.ctx.underlay_ip, output, reply)))
        self.ctx.counters.add(sender.id, "l2_answered" if replies else "l2_absorbed")
        hop = Hop(self.host_id, "l2", "answer" if replies else "skip",
                  f"{'answered' if replies else 'not ours:'} neighbour request from {sender.id}")
        self._record("underlay", (hop,), None, out[-len(replies):] if replies else [], False)

    def _refuse(self, source: str, drop: Drop, out: list[Emission]) -> None:
        self.ctx.counters.drop(drop.eni_id, drop.stage, drop.reason)
        hop = Hop(self.host_id, drop.stage, DROP, drop.reason)
        self._record(source, (hop,), drop, [], False)

    def _record(self, source: str, hops: tuple[Hop, ...], drop: Drop | None,
                emitted: list[Emission], cached: bool, to: str | None = None) -> None:
        if self.journal is None:
            return
        if cached:
            hops = (Hop(self.host_id, "flow_cache", "hit",
                        "replaying the cached decision of this flow"), *hops)
        self.journal.append(PacketEvent(self.host_id, source, hops, drop,
                                        tuple(e.port for e in emitted), cached, to))

    # -- telemetry -----------------------------------------------------------------------
    def eni_counters(self, eni_id: str) -> dict[str, int]:
        merged = self.ctx.counters.of(eni_id)
        merged.update(self.ctx.conntrack.counters(eni_id, self.ctx.clock.now()))
        return merged


def delivered_to(output: Output | None) -> str | None:
    if isinstance(output, ToVm):
        return output.eni_id
    if isinstance(output, ToService):
        return f"service:{output.service}"
    return None
