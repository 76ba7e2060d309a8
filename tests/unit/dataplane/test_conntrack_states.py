"""Pure connection-tracking state functions: TCP, UDP transactions, ICMP (SG-R19, SG-R24)."""

from __future__ import annotations

import pytest

from smartnic.dataplane.conntrack import states as st

S, SA, A, F, FA, R, RA = 0x02, 0x12, 0x10, 0x01, 0x11, 0x04, 0x14
ORIG, REPLY = False, True


def _walk(steps: list[tuple[int, bool]], state: int = st.TCP_NONE) -> list[str]:
    names = []
    for flags, is_reply in steps:
        state = st.tcp_next_state(state, flags, is_reply)
        names.append(st.TCP_STATE_NAMES[state])
    return names


def test_three_way_handshake() -> None:
    assert _walk([(S, ORIG), (SA, REPLY), (A, ORIG)]) == ["SYN_SENT", "SYN_RECV", "ESTABLISHED"]


def test_syn_retransmission_stays_in_syn_sent() -> None:
    assert _walk([(S, ORIG), (S, ORIG)]) == ["SYN_SENT", "SYN_SENT"]


@pytest.mark.parametrize("flags", [A, 0x18])
def test_loose_pickup_of_a_mid_stream_flow(flags: int) -> None:
    assert _walk([(flags, ORIG)]) == ["ESTABLISHED"]


def test_fin_teardown_started_by_the_originator() -> None:
    established = st.TCP_ESTABLISHED
    assert _walk([(FA, ORIG), (FA, REPLY), (A, ORIG)], established) == [
        "FIN_WAIT", "LAST_ACK", "TIME_WAIT"]


def test_fin_teardown_started_by_the_responder() -> None:
    assert _walk([(FA, REPLY), (FA, ORIG), (A, REPLY)], st.TCP_ESTABLISHED) == [
        "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT"]


@pytest.mark.parametrize("state", range(len(st.TCP_STATE_NAMES)))
@pytest.mark.parametrize("is_reply", [ORIG, REPLY])
@pytest.mark.parametrize("flags", [R, RA])
def test_rst_closes_from_any_state(state: int, is_reply: bool, flags: int) -> None:
    assert st.tcp_next_state(state, flags, is_reply) == st.TCP_CLOSE


@pytest.mark.parametrize("state", [st.TCP_TIME_WAIT, st.TCP_CLOSE])
def test_fresh_syn_from_the_originator_reopens_a_finished_connection(state: int) -> None:
    assert st.tcp_reopens(state, S, ORIG)
    assert not st.tcp_reopens(state, SA, REPLY)
    assert not st.tcp_reopens(state, A, ORIG)


@pytest.mark.parametrize("state", [st.TCP_SYN_SENT, st.TCP_ESTABLISHED, st.TCP_FIN_WAIT])
def test_syn_on_a_live_connection_does_not_reopen(state: int) -> None:
    assert not st.tcp_reopens(state, S, ORIG)


def test_udp_single_exchange_is_not_a_stream_sg_r24() -> None:
    state = st.udp_next_state(st.UDP_NEW, ORIG)
    assert state == st.UDP_NEW
    state = st.udp_next_state(state, REPLY)
    assert state == st.UDP_REPLIED
    state = st.udp_next_state(state, REPLY)  # more replies: still one transaction
    assert state == st.UDP_REPLIED


def test_udp_second_transaction_makes_a_stream_sg_r24() -> None:
    state = st.UDP_NEW
    for is_reply in (ORIG, REPLY, ORIG, REPLY):
        state = st.udp_next_state(state, is_reply)
    assert state == st.UDP_STREAM
    assert st.udp_next_state(state, ORIG) == st.UDP_STREAM


def test_udp_one_direction_only_never_streams() -> None:
    state = st.UDP_NEW
    for _ in range(10):
        state = st.udp_next_state(state, ORIG)
    assert state == st.UDP_NEW


def test_icmp_reply_marks_the_query_answered() -> None:
    assert st.icmp_next_state(st.ICMP_REQUESTED, ORIG) == st.ICMP_REQUESTED
    assert st.icmp_next_state(st.ICMP_REQUESTED, REPLY) == st.ICMP_REPLIED
