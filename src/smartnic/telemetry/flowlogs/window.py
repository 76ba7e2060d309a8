"""One flow log's aggregation windows: open aggregates, closing, NODATA/SKIPDATA spans.

Inputs: `FlowObservation`s of the ENIs the flow log covers; `close(...)` calls with the
first window index left open and, for partial closes, a time cap.
Outputs: `FlowLogRecord`s for every closed window (OK, NODATA, SKIPDATA), rendered at once
(`advance`, `close`) or one by one as a caller asks (`advance_pending`: the aggregates leave
the open windows at once, in record order, and each record is rendered when taken, so an
engine can spread a window of many flows over its loop).

Windows are aligned to multiples of the interval I in the clock's seconds: window k is
[k*I, (k+1)*I). An ENI's window with no traffic at all (logged or filtered out by the
traffic type, FL-R6) yields NODATA (FL-R7). Consecutive empty windows of one ENI closed by
the same call are coalesced into a single NODATA record spanning them, so that a virtual
clock jumping days ahead produces one record per idle ENI, not one per window.

An observation older than the last closed window is counted in the first open window at
that window's start time, so closed windows stay final (AWS records may lag the wire too,
FL-R3). With `max_flows_per_window`, flows beyond that many per ENI and window are not
aggregated; that ENI-window then also gets one SKIPDATA record (FL-R7).

Example:
    >>> list(idle_runs(0, 5, {1, 2}))
    [(0, 1), (3, 5)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping
from functools import partial

from smartnic.telemetry.flowlogs.aggregate import FlowCounters, FlowKey
from smartnic.telemetry.flowlogs.observation import EniLogContext, FlowLogSpec, FlowObservation
from smartnic.telemetry.flowlogs.record import FlowLogRecord, flow_record, status_record

Slot = tuple[str, int]  # (ENI id, window index)
# FlowKey's layout as a plain tuple: cheaper to build on the hot path than the NamedTuple.
RawKey = tuple[str, int, str, str, str, str, int, int, int, int | None]
_SortKey = tuple[int, str, int]
Rendering = Callable[[], FlowLogRecord]  # a closed record, rendered when called


def idle_runs(first: int, end: int, busy: Collection[int]) -> Iterator[tuple[int, int]]:
    """Maximal runs [a, b) of window indices in [first, end) that are not in `busy`."""
    start = first
    for window in sorted(w for w in busy if first <= w < end):
        if window > start:
            yield start, window
        start = window + 1
    if end > start:
        yield start, end


class FlowLogWindows:
    """Open aggregates and window bookkeeping of one flow log."""

    def __init__(self, spec: FlowLogSpec, now_s: float, max_flows_per_window: int | None) -> None:
        self.spec = spec  # kept as created: FL-R1, the format never changes
        self.interval_s = spec.interval_s
        self.logged_actions = ("ACCEPT", "REJECT") if spec.traffic == "ALL" else (spec.traffic,)
        self.max_flows = max_flows_per_window
        self.flows: dict[RawKey, FlowCounters] = {}
        self.busy: dict[Slot, int] = {}  # slots with any traffic -> logged flows in them
        self.skipped: set[Slot] = set()
        self.skipped_packets = 0
        self.open_window = self.window_of(now_s)  # every window before it is closed
        self.closed_until_s = now_s  # later observations are never placed before this
        self.eni_since: dict[str, float] = dict.fromkeys(spec.eni_ids, now_s)

    def window_of(self, time_s: float) -> int:
        return int(time_s // self.interval_s)

    def observe(self, obs: FlowObservation) -> None:
        """Aggregate one observation (the collector's hot path: a few dict operations)."""
        time_s = obs.time_s if obs.time_s >= self.closed_until_s else self.closed_until_s
        window = int(time_s // self.interval_s)
        slot = (obs.eni_id, window)
        if obs.action not in self.logged_actions:  # FL-R6: filtered, but the ENI was busy
            self.busy.setdefault(slot, 0)
            return
        # FL-R11: traffic-path exists for egress only, so it must not split ingress records.
        path = obs.traffic_path if obs.direction == "egress" else None
        key: RawKey = (obs.eni_id, window, obs.direction, obs.action, obs.pkt_src, obs.pkt_dst,
                       obs.sport, obs.dport, obs.protocol, path)
        counters = self.flows.get(key)
        if counters is not None:
            counters.add(obs, time_s)
            return
        count = self.busy.get(slot, 0)
        if self.max_flows is not None and count >= self.max_flows:
            self.busy[slot] = count
            self.skipped.add(slot)
            self.skipped_packets += obs.packets
            return
        self.busy[slot] = count + 1
        self.flows[key] = FlowCounters(obs, time_s)

    def advance(
        self, now_s: float, contexts: Mapping[str, EniLogContext]
    ) -> list[FlowLogRecord]:
        """Close every window that ended at or before `now_s`."""
        return [render() for render in self.advance_pending(now_s, contexts)]

    def advance_pending(
        self, now_s: float, contexts: Mapping[str, EniLogContext]
    ) -> list[Rendering]:
        """As `advance`, each record left to render when its caller takes it."""
        end_window = self.window_of(now_s)
        if end_window <= self.open_window:
            return []
        pending = self._closing(end_window, math.inf, tuple(self.eni_since), contexts)
        self.open_window = end_window
        self.closed_until_s = max(self.closed_until_s, end_window * self.interval_s)
        return pending

    def flush(self, now_s: float, contexts: Mapping[str, EniLogContext]) -> list[FlowLogRecord]:
        """Close everything up to `now_s`, the current partial window included.

        Coverage restarts at `now_s`: later traffic in the same window makes new records.
        """
        end_window = self.end_window_for_flush(now_s)
        records = self.close(end_window, now_s, tuple(self.eni_since), contexts)
        self.open_window = max(self.open_window, self.window_of(now_s))
        self.closed_until_s = max(self.closed_until_s, now_s)
        self.eni_since = dict.fromkeys(self.eni_since, self.closed_until_s)
        return records

    def set_coverage(
        self, eni_ids: Collection[str], now_s: float, contexts: Mapping[str, EniLogContext]
    ) -> list[FlowLogRecord]:
        """Follow the flow log's resolved scope (FL-R1): ENIs that left it are flushed at
        `now_s`; ENIs that joined it are covered from `now_s` on."""
        removed = [eni_id for eni_id in self.eni_since if eni_id not in eni_ids]
        records: list[FlowLogRecord] = []
        if removed:
            records = self.close(self.end_window_for_flush(now_s), now_s, removed, contexts)
        for eni_id in removed:
            del self.eni_since[eni_id]
        for eni_id in sorted(eni_ids):
            self.eni_since.setdefault(eni_id, max(now_s, self.closed_until_s))
        return records

    def end_window_for_flush(self, now_s: float) -> int:
        """First window index not closed by a flush at `now_s` (includes every aggregate)."""
        end = self.window_of(now_s) + 1
        if self.busy:
            end = max(end, max(window for _, window in self.busy) + 1)
        return end

    def close(
        self, end_window: int, cap_s: float, eni_ids: Collection[str],
        contexts: Mapping[str, EniLogContext],
    ) -> list[FlowLogRecord]:
        """Close windows before `end_window` for `eni_ids`; spans are cut at `cap_s`."""
        return [render() for render in self._closing(end_window, cap_s, eni_ids, contexts)]

    def _closing(
        self, end_window: int, cap_s: float, eni_ids: Collection[str],
        contexts: Mapping[str, EniLogContext],
    ) -> list[Rendering]:
        """`close`'s records in order, each still to render (the aggregates already left)."""
        keyed: list[tuple[_SortKey, Rendering]] = []
        fields, log_id = self.spec.fields, self.spec.id
        for seq, (key, counters) in enumerate(self._pop_flows(end_window, eni_ids)):
            render = partial(flow_record, log_id, fields, contexts[key.eni_id], key, counters)
            keyed.append(((key.window, key.eni_id, seq), render))
        busy = self._pop_busy(end_window, eni_ids)
        for eni_id, window in self._pop_skipped(end_window, eni_ids):
            start_s, end_s = self._span(eni_id, window, window + 1, cap_s)
            render = partial(status_record, log_id, fields, contexts[eni_id], "SKIPDATA",
                             start_s, end_s)
            keyed.append(((window, eni_id, len(keyed) + 1), render))
        for eni_id in eni_ids:
            first = max(self.open_window, self.window_of(self.eni_since[eni_id]))
            for run_start, run_end in idle_runs(first, end_window, busy.get(eni_id, ())):
                start_s, end_s = self._span(eni_id, run_start, run_end, cap_s)
                if end_s > start_s:
                    render = partial(status_record, log_id, fields, contexts[eni_id],
                                     "NODATA", start_s, end_s)
                    keyed.append(((run_start, eni_id, -1), render))
        keyed.sort(key=lambda item: item[0])
        return [render for _, render in keyed]

    def open_records(self, contexts: Mapping[str, EniLogContext]) -> list[FlowLogRecord]:
        """Provisional records of the aggregates whose window is still open."""
        fields, log_id = self.spec.fields, self.spec.id
        records = [
            flow_record(log_id, fields, contexts[key[0]], FlowKey._make(key), counters)
            for key, counters in self.flows.items()
        ]
        for eni_id, window in sorted(self.skipped):
            start_s, end_s = self._span(eni_id, window, window + 1, math.inf)
            records.append(
                status_record(log_id, fields, contexts[eni_id], "SKIPDATA", start_s, end_s))
        return records

    def _span(self, eni_id: str, first: int, end: int, cap_s: float) -> tuple[float, float]:
        """Bounds of windows [first, end) for one ENI, cut to its coverage and `cap_s`."""
        start_s = max(first * self.interval_s, self.eni_since[eni_id])
        return start_s, min(end * self.interval_s, cap_s)

    def _pop_flows(
        self, end_window: int, eni_ids: Collection[str]
    ) -> list[tuple[FlowKey, FlowCounters]]:
        closing = [key for key in self.flows if key[1] < end_window and key[0] in eni_ids]
        return [(FlowKey._make(key), self.flows.pop(key)) for key in closing]

    def _pop_busy(self, end_window: int, eni_ids: Collection[str]) -> dict[str, set[int]]:
        closing = [slot for slot in self.busy if slot[1] < end_window and slot[0] in eni_ids]
        windows: dict[str, set[int]] = {}
        for slot in closing:
            del self.busy[slot]
            windows.setdefault(slot[0], set()).add(slot[1])
        return windows

    def _pop_skipped(self, end_window: int, eni_ids: Collection[str]) -> list[Slot]:
        closing = sorted(s for s in self.skipped if s[1] < end_window and s[0] in eni_ids)
        self.skipped.difference_update(closing)
        return closing
