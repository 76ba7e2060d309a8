"""The in-process cloud: hosts each with an engine, simulated VMs, an edge, an underlay.

Everything runs in one process on real encapsulated bytes: VM frames enter a host engine,
cross the in-memory underlay as VXLAN/Geneve (optionally written to a pcap), and leave at
another engine's VM port, the internet or a VPN gateway. `send_*` injects one frame and
runs the cloud until it is quiet, returning the Journey of that frame and its consequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smartnic.clock import Clock, VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.dataplane.edge import INTERNET, EdgeEngine
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model.config import Config
from smartnic.net.endpoint import VmEndpoint
from smartnic.net.journey import Journey, Received
from smartnic.ports.memory import MemoryPort, MemoryUnderlay
from smartnic.ports.pcap import PcapWriter
from smartnic.telemetry.flowlogs import FlowLogRecord
from smartnic.telemetry.flowlogs.delivery import deliver

MAX_ROUNDS = 10_000


class Cloud:
    def __init__(self, config: Config, clock: Clock | None = None, *, responsive: bool = True,
                 journal: bool = True, pcap_path: str | Path | None = None,
                 flowlog_dir: str | Path | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.flowlog_dir = Path(flowlog_dir) if flowlog_dir else None
        self.delivered_files: list[Path] = []
        self.responsive = responsive
        self.journal = journal
        self.pcap = PcapWriter(pcap_path) if pcap_path else None
        self.underlay = MemoryUnderlay(self.pcap, self.clock.now)
        self.program = compile_program(config, 1)
        self.hosts: dict[str, HostEngine] = {}
        self.vms: dict[str, VmEndpoint] = {}
        self.external: dict[str, MemoryPort] = {INTERNET: MemoryPort(INTERNET)}
        self.edge = EdgeEngine(self.program, self.clock,
                               self.underlay.port(self.program.edge_underlay_ip, "edge"),
                               journal=journal)
        self.edge.attach(INTERNET, self.external[INTERNET])
        self._wire(self.program)

    @property
    def config(self) -> Config:
        return self.program.config

    # -- configuration -------------------------------------------------------------------
    def apply(self, config: Config) -> Program:
        """Swap every engine to the new (already validated) config at once."""
        program = compile_program(config, self.program.generation + 1)
        self.program = program
        self._wire(program)
        return program

    def _wire(self, program: Program) -> None:
        for host_id in [h for h in self.hosts if h not in program.hosts]:
            self.hosts.pop(host_id)
        for host in program.hosts.values():
            engine = self.hosts.get(host.id)
            if engine is None:
                port = self.underlay.port(host.underlay_ip, host.id)
                self.hosts[host.id] = HostEngine(host.id, program, self.clock, port,
                                                 journal=self.journal)
            else:
                engine.load(program)
        self.edge.load(program)
        self._wire_vms(program)
        for gateway in program.config.vgws:
            name = f"gateway:{gateway.id}"
            if name not in self.external:
                self.external[name] = MemoryPort(name)
                self.edge.attach(name, self.external[name])

    def _wire_vms(self, program: Program) -> None:
        for eni_id in [e for e in self.vms if e not in program.enis]:
            self.vms.pop(eni_id)
        for engine in self.hosts.values():
            for eni_id in list(engine.vm_ports):
                if program.enis.get(eni_id) is None or program.enis[eni_id].host_id != (
                        engine.host_id):
                    engine.detach(eni_id)
        for eni in program.enis.values():
            vm = self.vms.get(eni.id)
            if vm is None:
                vm = self.vms[eni.id] = VmEndpoint(eni, MemoryPort(eni.id), self.responsive)
            vm.eni = eni
            self.hosts[eni.host_id].attach(eni.id, vm.port)

    # -- traffic -------------------------------------------------------------------------
    def send(self, origin: str, frames: Sequence[bytes]) -> Journey:
        """Frames from a VM (`origin` = ENI id) or the internet, one after the other."""
        combined = Journey()
        for frame in frames:
            step = (self.send_from_internet(frame) if origin == INTERNET
                    else self.send_from_vm(origin, frame))
            combined.events += step.events
            combined.received += step.received
        return combined

    def send_from_vm(self, eni_id: str, frame: bytes) -> Journey:
        self.vms[eni_id].send(frame)
        return self.run()

    def send_from_internet(self, frame: bytes) -> Journey:
        self.external[INTERNET].inject(frame)
        return self.run()

    def run(self) -> Journey:
        """Move frames until nothing is left to move; what happened meanwhile."""
        journey = Journey()
        for _ in range(MAX_ROUNDS):
            moved = sum(engine.poll() for engine in self.hosts.values()) + self.edge.poll()
            moved += self._collect(journey)
            if not moved:
                break
        journals = [e.journal for e in self.hosts.values()] + [self.edge.journal]
        for journal in journals:
            if journal is not None:
                journey.events.extend(journal)
                journal.clear()
        journey.events.sort(key=lambda event: event.seq)
        return journey

    def _collect(self, journey: Journey) -> int:
        replies = 0
        for eni_id, vm in self.vms.items():
            for frame in vm.take_delivered():
                journey.received.append(Received(eni_id, frame))
            replies += vm.port.pending()
        for name, port in self.external.items():
            journey.received.extend(Received(name, f) for f in port.drain())
        return replies

    # -- time and telemetry --------------------------------------------------------------
    def tick(self) -> list[FlowLogRecord]:
        """Close the flow-log windows that ended by now (call after moving the clock); with a
        `flowlog_dir`, the final records are delivered there as S3 would (FL-R1)."""
        records = [r for engine in self.hosts.values() for r in engine.tick()]
        if records and self.flowlog_dir is not None:
            self.delivered_files += deliver(records, self.flowlog_dir, self.config.account_id,
                                            self.config.region)
        return records

    def flow_log_records(self, include_open: bool = True) -> list[FlowLogRecord]:
        return [r for engine in self.hosts.values()
                for r in engine.ctx.flowlogs.records(include_open=include_open)]

    def eni_counters(self, eni_id: str) -> dict[str, int]:
        eni = self.program.enis[eni_id]
        return self.hosts[eni.host_id].eni_counters(eni_id)

    def close(self) -> None:
        if self.pcap is not None:
            self.pcap.close()
