"""Properties of the collector over arbitrary observation sequences (hypothesis).

- No data lost: packets and bytes over all OK records equal what was observed on covered
  ENIs and passed the traffic filter (FL-R2, FL-R6).
- One record per key and window (FL-R2); NODATA never overlaps traffic of its ENI (FL-R7).
- Closing windows in many small steps gives the same OK records as closing them at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from itertools import islice

from flowlog_builders import collector, obs, spec
from hypothesis import given, settings
from hypothesis import strategies as st

from smartnic.telemetry.flowlogs import FlowLogCollector, FlowLogRecord, FlowObservation

KEY_FIELDS = ("flow-direction", "action", "pkt-srcaddr", "pkt-dstaddr", "srcport",
              "dstport", "protocol", "start", "end", "packets", "bytes", "interface-id",
              "traffic-path", "log-status")

observations = st.builds(
    obs,
    eni_id=st.sampled_from(["eni-a", "eni-c", "eni-x"]),  # eni-x is covered by no log
    direction=st.sampled_from(["ingress", "egress"]),
    action=st.sampled_from(["ACCEPT", "REJECT"]),
    src=st.sampled_from(["10.0.1.10", "10.0.2.30", "2001:db8::1"]),
    sport=st.integers(0, 3),
    protocol=st.sampled_from([1, 6, 17]),
    length=st.integers(20, 9001),
    flags=st.integers(0, 255),
    path=st.sampled_from([None, 1, 8]),
    t=st.floats(0, 2000, allow_nan=False),
    packets=st.integers(1, 3),
)
# Each step is an observation or an advance by a whole number of seconds.
steps = st.lists(st.one_of(observations, st.integers(0, 400)), max_size=60)


def _specs() -> tuple:  # type: ignore[type-arg]
    return (spec("fl-all", enis=["eni-a", "eni-c"], fields=KEY_FIELDS),
            spec("fl-acc", enis=["eni-c"], traffic="ACCEPT", fields=KEY_FIELDS),
            spec("fl-rej", enis=["eni-a"], traffic="REJECT", fields=KEY_FIELDS,
                 interval_s=600))


def _run(sequence: list[FlowObservation | int], log: FlowLogCollector) -> list[FlowLogRecord]:
    now_s, returned = 0, []
    for step in sequence:
        if isinstance(step, int):
            now_s += step
            returned.extend(log.advance(now_s))
        else:
            log.observe(step)
    returned.extend(log.flush(now_s + 3000))
    return returned


def _expected(sequence: list[FlowObservation | int], log_spec) -> Counter[str]:  # type: ignore[no-untyped-def]
    totals: Counter[str] = Counter()
    for step in sequence:
        if isinstance(step, int) or step.eni_id not in log_spec.eni_ids:
            continue
        if log_spec.traffic in ("ALL", step.action):
            totals["packets"] += step.packets
            totals["bytes"] += step.length_bytes
    return totals


@settings(max_examples=150, deadline=None)
@given(steps)
def test_no_data_lost(sequence: list[FlowObservation | int]) -> None:
    log = collector(*_specs())
    returned = _run(sequence, log)
    assert [r.line for r in returned] == [r.line for r in log.records()]
    for log_spec in _specs():
        totals: Counter[str] = Counter()
        for record in returned:
            if record.flow_log_id == log_spec.id and record.log_status == "OK":
                totals["packets"] += int(record.values["packets"])
                totals["bytes"] += int(record.values["bytes"])
        assert totals == _expected(sequence, log_spec)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_one_record_per_key_and_no_overlapping_nodata(
    sequence: list[FlowObservation | int],
) -> None:
    records = _run(sequence, collector(*_specs()))
    intervals = {s.id: s.interval_s for s in _specs()}
    seen: set[tuple[str, ...]] = set()
    for record in records:
        if record.log_status != "OK":
            continue
        v = record.values
        window = str(int(v["start"]) // intervals[record.flow_log_id])
        key = (record.flow_log_id, window, v["interface-id"], v["flow-direction"],
               v["action"], v["pkt-srcaddr"], v["pkt-dstaddr"], v["srcport"], v["dstport"],
               v["protocol"], v["traffic-path"])
        assert key not in seen
        seen.add(key)
        assert int(v["start"]) <= int(v["end"])
        for other in records:
            if (other.log_status == "NODATA" and other.flow_log_id == record.flow_log_id
                    and other.eni_id == record.eni_id):
                assert not int(other.values["start"]) <= int(v["start"]) < int(
                    other.values["end"])


@settings(max_examples=100, deadline=None)
@given(st.lists(observations, max_size=40), st.lists(st.integers(0, 2000), max_size=8))
def test_closing_in_steps_matches_closing_at_once(
    observed: list[FlowObservation], advance_at: list[int]
) -> None:
    observed = sorted(observed, key=lambda o: o.time_s)
    stepped, at_once = collector(*_specs()), collector(*_specs())
    pending = sorted(advance_at)
    for observation in observed:
        while pending and pending[0] <= observation.time_s:
            stepped.advance(pending.pop(0))
        stepped.observe(observation)
        at_once.observe(observation)
    stepped.advance(5000)
    at_once.advance(5000)

    def ok_lines(log: FlowLogCollector) -> Counter[str]:
        return Counter(r.line for r in log.records() if r.log_status == "OK")

    assert ok_lines(stepped) == ok_lines(at_once)


@settings(max_examples=150, deadline=None)
@given(steps, st.data())
def test_records_rendered_later_are_those_advance_returns(
    sequence: list[FlowObservation | int], data: st.DataObject
) -> None:
    """`advance_pending` closes the windows when called, even if its records are taken
    later, after more observations and advances: the same records as `advance`, in order."""
    eager, lazy = collector(*_specs()), collector(*_specs())
    now_s, returned = 0, []
    pending: list[tuple[list[FlowLogRecord], Iterator[FlowLogRecord]]] = []
    for step in sequence:
        if isinstance(step, int):
            now_s += step
            returned.extend(eager.advance(now_s))
            pending.append(([], lazy.advance_pending(now_s)))
        else:
            eager.observe(step)
            lazy.observe(step)
        if pending:  # take some of the oldest now, the rest later
            taken, records = pending[data.draw(st.integers(0, len(pending) - 1))]
            taken.extend(islice(records, data.draw(st.integers(0, 5))))
    rendered = [record for taken, records in pending for record in [*taken, *records]]
    assert [r.line for r in rendered] == [r.line for r in returned]
    kept = lazy.records(include_open=False)  # in the order they were taken
    assert Counter(r.line for r in kept) == Counter(r.line for r in returned)
