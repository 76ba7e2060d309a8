"""VPC Flow Logs collector: packets seen by ENIs in, AWS flow-log records out (FL-R1..FL-R13).

Inputs:
    specs        `FlowLogSpec`s (scope already resolved to ENI ids, FL-R1)
    enis         `EniLogContext` per covered ENI
    observe()    one `FlowObservation` per packet an ENI sent or received, after its verdict;
                 the engine leaves out what AWS does not log (FL-R10)
    advance()    the engine's clock; closes the windows that ended
    advance_pending()  the same, its records rendered one by one as the caller takes them
                 (an engine loop spreads a large window over many passes)
Outputs: `FlowLogRecord`s — one per (flow log, ENI, window, direction, action, 5-tuple)
(FL-R2), plus NODATA/SKIPDATA records (FL-R7). Windows are [k*I, (k+1)*I) in the clock's
seconds; consecutive idle windows of an ENI closed by one `advance()` are coalesced into one
NODATA record, so long idle periods (virtual clocks jumping days) stay bounded.

Records finalised outside `advance()` — by `reconfigure()` flushing a deleted flow log or
an ENI leaving a scope — are handed out by the next `advance()` or `flush()`, so a caller
that delivers what those return loses nothing. `records()` lists every final record so far
for in-process users (scenarios, the demo); a long-running engine that delivers what it is
handed passes `keep_final=False`, so its memory does not grow with its age.

Example:
    collector = FlowLogCollector([spec], {"eni-c": ctx}, start_time_s=0.0)
    collector.observe(FlowObservation("eni-c", "ingress", "ACCEPT", 4, "10.0.1.10",
                                      "10.0.2.30", 40000, 22, 6, 60, 0x02, None, 1.0))
    collector.advance(60.0)  # -> [FlowLogRecord(..., line="2 123456789010 eni-c 10.0.1.10
                             #     10.0.2.30 40000 22 6 1 60 1 1 ACCEPT OK")]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from smartnic.telemetry.flowlogs.observation import EniLogContext, FlowLogSpec, FlowObservation
from smartnic.telemetry.flowlogs.record import FlowLogRecord
from smartnic.telemetry.flowlogs.window import FlowLogWindows, Rendering

__all__ = ["FlowLogCollector", "FlowLogRecord"]


class FlowLogCollector:
    """Aggregates observations for every flow log and turns closed windows into records."""

    def __init__(
        self, specs: Sequence[FlowLogSpec], enis: Mapping[str, EniLogContext],
        start_time_s: float, *, max_flows_per_window: int | None = None,
        keep_final: bool = True,
    ) -> None:
        _check_contexts(specs, enis)
        self._max_flows = max_flows_per_window
        self._keep_final = keep_final
        self._enis: dict[str, EniLogContext] = dict(enis)
        self._logs: dict[str, FlowLogWindows] = {
            spec.id: FlowLogWindows(spec, start_time_s, max_flows_per_window) for spec in specs
        }
        self._final: list[FlowLogRecord] = []
        self._unreported: list[FlowLogRecord] = []
        self._by_eni: dict[str, tuple[FlowLogWindows, ...]] = {}
        self._index()

    @property
    def specs(self) -> list[FlowLogSpec]:
        """The active flow logs, each with the format it was created with (FL-R1)."""
        return [log.spec for log in self._logs.values()]

    @property
    def skipped_packets(self) -> int:
        """Packets not aggregated because a window hit `max_flows_per_window` (SKIPDATA)."""
        return sum(log.skipped_packets for log in self._logs.values())

    def observe(self, obs: FlowObservation) -> None:
        """Aggregate one packet into every flow log covering its ENI."""
        for log in self._by_eni.get(obs.eni_id, ()):
            log.observe(obs)

    def advance(self, now_s: float) -> list[FlowLogRecord]:
        """Close windows that ended at or before `now_s`; return the newly final records."""
        closed: list[FlowLogRecord] = []
        for log in self._logs.values():
            closed.extend(log.advance(now_s, self._enis))
        return self._report(closed)

    def advance_pending(self, now_s: float) -> Iterator[FlowLogRecord]:
        """As `advance`: the windows close now (later observations go to open windows),
        and the records, in `advance`'s order, are rendered as the iterator is taken."""
        pending = [render for log in self._logs.values()
                   for render in log.advance_pending(now_s, self._enis)]
        unreported, self._unreported = self._unreported, []
        return self._rendered(unreported, pending)

    def _rendered(self, unreported: list[FlowLogRecord], pending: list[Rendering]
                  ) -> Iterator[FlowLogRecord]:
        yield from unreported
        for render in pending:
            record = render()
            self._keep([record])
            yield record

    def flush(self, now_s: float) -> list[FlowLogRecord]:
        """Close everything, the current partial windows included (shutdown)."""
        closed: list[FlowLogRecord] = []
        for log in self._logs.values():
            closed.extend(log.flush(now_s, self._enis))
        return self._report(closed)

    def records(self, include_open: bool = True) -> list[FlowLogRecord]:
        """All final records so far, then (if asked) provisional ones for open aggregates."""
        result = list(self._final)
        if include_open:
            for log in self._logs.values():
                result.extend(log.open_records(self._enis))
        return result

    def reconfigure(
        self, specs: Sequence[FlowLogSpec], enis: Mapping[str, EniLogContext], now_s: float
    ) -> None:
        """Apply a new configuration at `now_s` (FL-R1).

        A flow log that still exists keeps the format, traffic type and interval it was
        created with; only its ENI coverage follows the new scope. Deleted flow logs are
        flushed at `now_s`; new ones start at `now_s`.
        """
        _check_contexts(specs, enis)
        wanted = {spec.id: spec for spec in specs}
        for log_id in [log_id for log_id in self._logs if log_id not in wanted]:
            self._finalise(self._logs.pop(log_id).flush(now_s, self._enis))
        # Records of ENIs leaving a scope render with their old context, so before the swap.
        for spec in specs:
            if spec.id in self._logs:
                log = self._logs[spec.id]
                self._finalise(log.set_coverage(spec.eni_ids, now_s, self._enis))
        self._enis = dict(enis)
        self._logs = {
            spec.id: self._logs.get(spec.id)
            or FlowLogWindows(spec, now_s, self._max_flows)
            for spec in specs
        }
        self._index()

    def _finalise(self, records: list[FlowLogRecord]) -> None:
        """Keep records closed by `reconfigure` for the next `advance`/`flush` to return."""
        self._keep(records)
        self._unreported.extend(records)

    def _report(self, closed: list[FlowLogRecord]) -> list[FlowLogRecord]:
        self._keep(closed)
        fresh, self._unreported = self._unreported + closed, []
        return fresh

    def _keep(self, records: list[FlowLogRecord]) -> None:
        if self._keep_final:
            self._final.extend(records)

    def _index(self) -> None:
        """Map each ENI to the flow logs covering it, for `observe`."""
        by_eni: dict[str, list[FlowLogWindows]] = {}
        for log in self._logs.values():
            for eni_id in log.eni_since:
                by_eni.setdefault(eni_id, []).append(log)
        self._by_eni = {eni_id: tuple(logs) for eni_id, logs in by_eni.items()}


def _check_contexts(specs: Sequence[FlowLogSpec], enis: Mapping[str, EniLogContext]) -> None:
    """Every covered ENI needs a context; flow-log ids must be unique."""
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise ValueError(f"flow log {spec.id}: id used twice")
        seen.add(spec.id)
        missing = sorted(spec.eni_ids - enis.keys())
        if missing:
            raise ValueError(f"flow log {spec.id}: no EniLogContext for {missing}")
