"""ConntrackTable: keys, reply matching, idle timeouts, capacity (SG-R19, SG-R24, SG-R25)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smartnic.compiler.compile import compile_program
from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.key import FlowTuple, flow_tuple
from smartnic.dataplane.conntrack.table import ConntrackTable, CtEntry
from smartnic.dataplane.conntrack.timeouts import ConntrackTimeouts
from smartnic.model import Config

TCP, UDP, ICMP, ICMPV6, GRE = 6, 17, 1, 58, 47
S, SA, A, FA, R = 0x02, 0x12, 0x10, 0x11, 0x04
VM, PEER, OTHER = 0x0A000A0A, 0xC6336407, 0xC6336408  # 10.0.10.10, 198.51.100.7, .8
T0 = 1000.0


def _table(capacity: int = 16, timeouts: ConntrackTimeouts | None = None) -> ConntrackTable:
    table = ConntrackTable()
    table.configure_eni("eni-x", capacity, timeouts or ConntrackTimeouts())
    return table


def _tcp(src: int = VM, dst: int = PEER, sport: int = 40000, dport: int = 443) -> FlowTuple:
    tup = flow_tuple(4, TCP, src, dst, sport, dport)
    assert tup is not None
    return tup


def _udp(src: int = VM, dst: int = PEER, sport: int = 40000, dport: int = 53) -> FlowTuple:
    tup = flow_tuple(4, UDP, src, dst, sport, dport)
    assert tup is not None
    return tup


def _open(table: ConntrackTable, tup: FlowTuple, now: float, flags: int = 0) -> CtEntry:
    """What the slow path + runner do for a permitted first packet: create, then account."""
    entry = table.create("eni-x", tup, "egress", now)
    assert entry is not None
    assert table.touch(entry, False, flags, 60, now)
    return entry


def _packet(table: ConntrackTable, tup: FlowTuple, now: float, flags: int = 0) -> bool | None:
    """A later packet: True/False = matched as reply/original, None = no live entry."""
    hit = table.lookup("eni-x", tup, now)
    if hit is None:
        return None
    entry, is_reply = hit
    assert table.touch(entry, is_reply, flags, 60, now)
    return is_reply


# -- keys and reply matching (SG-R19) ------------------------------------------------------

def test_tcp_reply_matches_the_reversed_five_tuple() -> None:
    table = _table()
    _open(table, _tcp(), T0, S)
    assert _packet(table, _tcp(PEER, VM, 443, 40000), T0 + 1, SA) is True
    assert _packet(table, _tcp(), T0 + 2, A) is False
    assert _packet(table, _tcp(PEER, VM, 443, 40001), T0 + 3, A) is None  # other port
    assert _packet(table, _tcp(OTHER, VM, 443, 40000), T0 + 3, A) is None  # other host


def test_udp_and_tcp_with_the_same_ports_are_different_connections() -> None:
    table = _table()
    _open(table, _tcp(dport=53), T0, S)
    assert _packet(table, _udp(PEER, VM, 53, 40000), T0 + 1) is None


def test_icmp_echo_reply_matches_request_by_identifier() -> None:
    table = _table()
    request = flow_tuple(4, ICMP, VM, PEER, 0, 0, icmp_type=8, icmp_id=11)
    assert request is not None and request.forward is not None
    _open(table, request, T0)
    reply = flow_tuple(4, ICMP, PEER, VM, 0, 0, icmp_type=0, icmp_id=11)
    assert reply is not None and reply.forward is None  # a reply never starts a connection
    assert _packet(table, reply, T0 + 1) is True
    other_id = flow_tuple(4, ICMP, PEER, VM, 0, 0, icmp_type=0, icmp_id=12)
    assert _packet(table, other_id, T0 + 1) is None
    timestamp_reply = flow_tuple(4, ICMP, PEER, VM, 0, 0, icmp_type=14, icmp_id=11)
    assert _packet(table, timestamp_reply, T0 + 1) is None


def test_icmpv6_echo_reply_matches_request() -> None:
    table = _table()
    vm6, peer6 = 0x20010DB8 << 96 | 0x10, 0x20010DB8 << 96 | 0x99
    request = flow_tuple(6, ICMPV6, vm6, peer6, 0, 0, icmp_type=128, icmp_id=7)
    assert request is not None
    _open(table, request, T0)
    reply = flow_tuple(6, ICMPV6, peer6, vm6, 0, 0, icmp_type=129, icmp_id=7)
    assert reply is not None and _packet(table, reply, T0 + 1) is True


@pytest.mark.parametrize(("proto", "icmp_type"), [(ICMP, 3), (ICMP, 11), (ICMPV6, 2), (ICMPV6, 1)])
def test_icmp_errors_are_never_tracked_sg_r26(proto: int, icmp_type: int) -> None:
    assert flow_tuple(4 if proto == ICMP else 6, proto, PEER, VM, 0, 0, icmp_type=icmp_type) is None


def test_other_protocols_track_the_address_pair_only_sg_r19() -> None:
    table = _table()
    gre = flow_tuple(4, GRE, VM, PEER, 1234, 5678)
    assert gre is not None and gre.proto_class == st.CLASS_OTHER
    _open(table, gre, T0)
    back = flow_tuple(4, GRE, PEER, VM, 9, 9)
    assert back is not None
    assert _packet(table, back, T0 + 599) is True
    assert _packet(table, flow_tuple(4, GRE, OTHER, VM, 0, 0), T0 + 599) is None  # type: ignore[arg-type]
    assert _packet(table, flow_tuple(4, 50, PEER, VM, 0, 0), T0 + 599) is None  # type: ignore[arg-type]


def test_other_protocol_response_window_is_600_seconds_sg_r19() -> None:
    table = _table()
    _open(table, flow_tuple(4, GRE, VM, PEER, 0, 0), T0)  # type: ignore[arg-type]
    back = flow_tuple(4, GRE, PEER, VM, 0, 0)
    assert back is not None
    assert table.lookup("eni-x", back, T0 + 599.9) is not None
    assert table.lookup("eni-x", back, T0 + 600) is None


# -- timeouts (SG-R24) ---------------------------------------------------------------------

def test_documented_default_timeouts_sg_r24() -> None:
    timeouts = ConntrackTimeouts()
    assert timeouts.for_state(st.CLASS_TCP, st.TCP_ESTABLISHED) == 432000
    assert timeouts.for_state(st.CLASS_UDP, st.UDP_STREAM) == 180
    assert timeouts.for_state(st.CLASS_UDP, st.UDP_NEW) == 30
    assert timeouts.for_state(st.CLASS_UDP, st.UDP_REPLIED) == 30
    assert timeouts.for_state(st.CLASS_OTHER, 0) == 600


def _handshake(table: ConntrackTable, at: float) -> None:
    _open(table, _tcp(), at, S)
    assert _packet(table, _tcp(PEER, VM, 443, 40000), at, SA) is True
    assert _packet(table, _tcp(), at, A) is False


def test_established_tcp_lives_five_days_idle_sg_r24() -> None:
    table = _table()
    _handshake(table, T0)
    assert table.lookup("eni-x", _tcp(), T0 + 431999) is not None
    assert table.lookup("eni-x", _tcp(), T0 + 432000) is None


def test_activity_refreshes_the_idle_timer() -> None:
    table = _table()
    _handshake(table, T0)
    assert _packet(table, _tcp(), T0 + 400000, A) is False
    assert table.lookup("eni-x", _tcp(), T0 + 800000) is not None


def test_udp_single_exchange_expires_after_udp_timeout_sg_r24() -> None:
    table = _table()
    _open(table, _udp(), T0)
    assert _packet(table, _udp(PEER, VM, 53, 40000), T0 + 1) is True
    assert table.lookup("eni-x", _udp(), T0 + 30.5) is not None
    assert table.lookup("eni-x", _udp(), T0 + 31) is None


def test_udp_one_direction_only_expires_after_udp_timeout_sg_r24() -> None:
    table = _table()
    _open(table, _udp(), T0)
    assert _packet(table, _udp(), T0 + 10) is False
    assert table.lookup("eni-x", _udp(), T0 + 39.9) is not None
    assert table.lookup("eni-x", _udp(), T0 + 40) is None


def test_udp_stream_uses_udp_stream_timeout_sg_r24() -> None:
    table = _table()
    _open(table, _udp(), T0)
    _packet(table, _udp(PEER, VM, 53, 40000), T0 + 1)
    _packet(table, _udp(), T0 + 2)
    _packet(table, _udp(PEER, VM, 53, 40000), T0 + 3)
    assert table.lookup("eni-x", _udp(), T0 + 3 + 179) is not None
    assert table.lookup("eni-x", _udp(), T0 + 3 + 180) is None


def test_per_eni_timeouts_override_defaults_sg_r24(build_t1: Callable[..., Config]) -> None:
    config = build_t1({"enis": [{"id": "eni-c", "conntrack": {
        "tcp_established_timeout": 120, "udp_stream_timeout": 60, "udp_timeout": 60}}]})
    program = compile_program(config)
    custom, default = program.enis["eni-c"].timeouts, program.enis["eni-a"].timeouts
    assert (custom.tcp_established_s, custom.udp_stream_s, custom.udp_s) == (120, 60, 60)
    assert (default.tcp_established_s, default.udp_stream_s, default.udp_s) == (432000, 180, 30)
    table = _table(timeouts=custom)
    _handshake(table, T0)
    assert table.lookup("eni-x", _tcp(), T0 + 119) is not None
    assert table.lookup("eni-x", _tcp(), T0 + 120) is None


# -- teardown and reopen -------------------------------------------------------------------

def test_rst_leaves_a_short_lived_closed_entry() -> None:
    table = _table()
    _handshake(table, T0)
    _packet(table, _tcp(PEER, VM, 443, 40000), T0 + 1, R)
    entry = table.entries("eni-x")[0]
    assert entry.state == st.TCP_CLOSE
    assert entry.expires_s - (T0 + 1) < 432000
    assert table.lookup("eni-x", _tcp(), T0 + 1 + ConntrackTimeouts().tcp_close_s) is None


def test_fresh_syn_after_close_starts_a_new_connection() -> None:
    table = _table()
    _handshake(table, T0)
    _packet(table, _tcp(), T0 + 1, FA)
    _packet(table, _tcp(PEER, VM, 443, 40000), T0 + 1, FA)
    _packet(table, _tcp(), T0 + 1, A)
    old = table.entries("eni-x")[0]
    assert old.state == st.TCP_TIME_WAIT
    hit = table.lookup("eni-x", _tcp(), T0 + 2)
    assert hit is not None
    assert table.touch(old, False, S, 60, T0 + 2) is False  # the SYN is judged as new
    assert old.removed and table.lookup("eni-x", _tcp(), T0 + 2) is None
    fresh = _open(table, _tcp(), T0 + 2, S)
    assert fresh is not old and fresh.state == st.TCP_SYN_SENT
    counters = table.counters("eni-x", T0 + 2)
    assert (counters["conntrack_opened"], counters["conntrack_entries"]) == (2, 1)


# -- capacity (SG-R25) ---------------------------------------------------------------------

def test_full_table_refuses_new_entries_and_counts_them_sg_r25() -> None:
    table = _table(capacity=2)
    _open(table, _tcp(sport=1), T0, S)
    assert table.counters("eni-x", T0)["conntrack_allowance_available"] == 1
    _open(table, _tcp(sport=2), T0, S)
    assert table.create("eni-x", _tcp(sport=3), "egress", T0) is None
    assert table.create("eni-x", _tcp(sport=4), "egress", T0) is None
    counters = table.counters("eni-x", T0)
    assert counters["conntrack_allowance_exceeded"] == 2
    assert counters["conntrack_allowance_available"] == 0
    assert counters["conntrack_entries"] == 2
    assert _packet(table, _tcp(PEER, VM, 443, 1), T0, SA) is True  # existing flows go on


def test_expired_entries_make_room_again_sg_r25() -> None:
    table = _table(capacity=1)
    _open(table, _udp(), T0)
    assert table.create("eni-x", _udp(sport=2), "egress", T0 + 1) is None
    assert table.create("eni-x", _udp(sport=2), "egress", T0 + 30) is not None
    counters = table.counters("eni-x", T0 + 30)
    assert (counters["conntrack_allowance_exceeded"], counters["conntrack_entries"]) == (1, 1)


def test_capacity_is_per_eni_sg_r25() -> None:
    table = _table(capacity=1)
    table.configure_eni("eni-y", 1, ConntrackTimeouts())
    _open(table, _tcp(), T0, S)
    assert table.create("eni-y", _tcp(), "egress", T0) is not None
    assert table.counters("eni-y", T0)["conntrack_allowance_exceeded"] == 0


def test_removed_eni_entries_stop_matching() -> None:
    table = _table()
    entry = _open(table, _tcp(), T0, S)
    table.remove_eni("eni-x")
    assert not table.alive(entry, T0)
    assert table.touch(entry, True, SA, 60, T0) is False


def test_every_row_freed_after_growth_fits_the_free_stack() -> None:
    """Grow past the first size, free every row, fill again: the free stack must hold every
    row (a stack sized to the rows free at growth time was written past its end)."""
    table = ConntrackTable(rows_hint=16)
    table.configure_eni("eni-x", 1000, ConntrackTimeouts())
    for round_ in range(3):
        now = T0 + round_ * 1000.0  # everything of the last round has expired
        entries = [table.create("eni-x", _udp(sport=sport), "egress", now)
                   for sport in range(1, 101)]
        assert all(entry is not None for entry in entries)
        table.sweep(table.eni_index("eni-x"), now + 500.0)
        assert table.counters("eni-x", now + 500.0)["conntrack_entries"] == 0
        assert table.bulk()[3][0] == table.bulk()[2].shape[0]  # all rows free, all stacked
