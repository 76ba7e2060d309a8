"""The replay passes: settle each classified packet against its entry, account, emit.

`settle`, in arrival order from `pos` (skipping packets the admission pre-pass dropped,
admit.py): the entry of the packet's key (else PUNT_MISS); its
generation must be the Program's (PUNT_STALE); the IP packet must fit the path MTU
(PUNT_MTU); every conntrack reference must be alive and the packet must not reopen a
finished TCP connection (PUNT_CONNTRACK) — `ActionRunner.is_current`, with `ct_alive`'s
test. Then each reference is touched as `ct_touch` does (its reopen test already passed,
and the references of one entry are distinct rows). With `stop_on_punt`, settle returns
at the first punt, so the slow path handles that packet (and installs its flow) before
any later packet is settled: connection tracking, flow logs and installs happen in
exactly the order of the slow path alone.
`account`: flow-log slots and `rx_packets` of the receiving ENI, in arrival order.
`emit`: the frame with its MACs rewritten, for the underlay behind the tunnel's outer
headers (lengths, IPv4 checksum and the flow's UDP source port patched).

`ct_alive`/`ct_touch` are written out here rather than called: a kernel taking named
tuples or arrays costs reference counting per call (columns.py); the unit tests hold the
two equal on random rows. Counters: `tally[0]` hits, `tally[reason]` punts by reason.
`settle` is longer than house style because its per-packet steps depend on each other
through the conntrack rows and may not become calls (see above).

Bounds (nothing here is checked per index; each comes from a guarantee):
- packets [pos, count) lie in the batch's columns; a frame's [I_START, I_END) lies in
  `buf` and holds at least an Ethernet header (classify.py);
- flow rows come from the flow table's index; conntrack rows from entries installed
  against the same ConntrackTable, whose rows never shrink; their ENI numbers index its
  per-ENI arrays; states stay in 0..8 (states.py), the rows of `tcp_columns`;
- flow-log slots come from entries of the current LogSlots (a new one comes with new
  entries, core.FastPath.clear); `log_order` gets a slot only at its first packet since
  the last flush, so at most one place per slot;
- `tally[TALLY_RX + A_RX_ENI]`: fast-path ENI numbers, for which core.FastPath.eni_index
  grows the tally; `out_table[R_PUNTED, ...]`: a packet punts at most once per batch;
- emissions: the arena holds Σ frame lengths + MAX_HEADER_BYTES per packet
  (core.FastPath._arena_for) and a template is at most MAX_HEADER_BYTES (tunnels.py).

Example:
    stop = replay(0, n, True, now_s, generation, batch.buf, keys, info, *table arrays ...)
    # packets [0, stop) are applied; `stop` (if < n) is the punted packet to handle next
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.conntrack import states as st
from smartnic.dataplane.conntrack.arrays import T_ICMP, T_OTHER, T_UDP, T_UDP_STREAM
from smartnic.dataplane.fastpath import action_rows as a
from smartnic.dataplane.fastpath.columns import (
    I_END,
    I_IP_TOTAL,
    I_ROW,
    I_START,
    I_STATUS,
    I_TCP_FLAGS,
)
from smartnic.dataplane.fastpath.flowtable import find_row
from smartnic.dataplane.fastpath.logslots import L_BYTES, L_FLAGS, L_PACKETS
from smartnic.dataplane.fastpath.parse import (
    DROPPED,
    OK,
    PUNT_CONNTRACK,
    PUNT_MISS,
    PUNT_MTU,
    PUNT_STALE,
)
from smartnic.dataplane.fastpath.tunnels import MAX_HEADER_BYTES, T_IP_SUM, T_LENGTH
from smartnic.dataplane.fastpath.wire import copy_bytes, ipv4_header_checksum, reduced_flags
from smartnic.dataplane.kernel import kernel

# tally: int64 counters and cursors the passes share (one array: cheaper to hand over)
T_EMITTED, T_BYTES, T_PUNTED, T_LOGGED, T_RX = 10, 11, 12, 13, 14  # 0..9: packets by status
TALLY_RX = 16  # rx_packets per ENI number from here
# out table int64[4, n]: per emission start and port index, its source packet; punted ones
R_START, R_PORT, R_SOURCE, R_PUNTED = 0, 1, 2, 3


# Flat parameters: numba types each argument on every call, a named tuple's members in
# Python (measured 4.2 µs for 30 arrays in three named tuples, 1.8 µs passed flat).
@kernel
def replay(pos: int, count: int, stop_on_punt: bool, now_s: float, generation: int,
           buf: np.ndarray, keys: np.ndarray, info: np.ndarray, slots: np.ndarray,
           table_keys: np.ndarray, acts: np.ndarray, live: np.ndarray,
           incarnation: np.ndarray, expires_s: np.ndarray, state: np.ndarray,
           proto_class: np.ndarray, eni: np.ndarray, packets: np.ndarray, bytes_: np.ndarray,
           last_seen_s: np.ndarray, timeouts_s: np.ndarray, tcp_columns: np.ndarray,
           header: np.ndarray, tunnel_info: np.ndarray, log_acc: np.ndarray,
           log_order: np.ndarray, out_buf: np.ndarray, out_table: np.ndarray,
           out_length: np.ndarray, tally: np.ndarray) -> int:
    """Settle from `pos`, then account and emit what settled; returns where it stopped."""
    stop = settle(pos, count, stop_on_punt, now_s, generation, keys, info, slots,
                  table_keys, acts, live, incarnation, expires_s, state, proto_class, eni,
                  packets, bytes_, last_seen_s, timeouts_s, tcp_columns, out_table, tally)
    account(pos, stop, info, acts, log_acc, log_order, tally)
    emit(pos, stop, buf, info, acts, header, tunnel_info, out_buf, out_table, out_length, tally)
    return stop


@kernel
def settle(pos: int, count: int, stop_on_punt: bool, now_s: float, generation: int,
           keys: np.ndarray, info: np.ndarray, slots: np.ndarray,
           table_keys: np.ndarray, acts: np.ndarray, live: np.ndarray,
           incarnation: np.ndarray, expires_s: np.ndarray, state: np.ndarray,
           proto_class: np.ndarray, eni: np.ndarray, packets: np.ndarray, bytes_: np.ndarray,
           last_seen_s: np.ndarray, timeouts_s: np.ndarray, tcp_columns: np.ndarray,
           out_table: np.ndarray, tally: np.ndarray) -> int:
    for i in range(pos, count):
        status, row, flags = info[I_STATUS, i], -1, info[I_TCP_FLAGS, i]
        if status == DROPPED:
            continue
        if status == OK:
            row = find_row(slots, table_keys, keys, i)
            if row < 0:
                status = PUNT_MISS
            elif acts[row, a.A_GENERATION] != generation:
                status = PUNT_STALE
            elif info[I_IP_TOTAL, i] > acts[row, a.A_MTU]:
                status = PUNT_MTU
        if status == OK:
            for k in range(acts[row, a.A_CT_COUNT]):
                column = a.A_CT[k]
                ct_row = acts[row, column]
                if live[ct_row] != 1:
                    status = PUNT_CONNTRACK
                elif incarnation[ct_row] != acts[row, column + 1]:
                    status = PUNT_CONNTRACK
                elif expires_s[ct_row] <= now_s:
                    status = PUNT_CONNTRACK
                elif proto_class[ct_row] == st.CLASS_TCP:
                    if st.tcp_reopens(state[ct_row], flags, acts[row, column + 2] != 0):
                        status = PUNT_CONNTRACK
        tally[status] += 1
        if status != OK:
            info[I_STATUS, i] = status
            out_table[R_PUNTED, tally[T_PUNTED]] = i
            tally[T_PUNTED] += 1
            if stop_on_punt:
                return i
            continue
        info[I_ROW, i] = row
        if acts[row, a.A_USED] == 0:
            acts[row, a.A_USED] = 1
        for k in range(acts[row, a.A_CT_COUNT]):
            column = a.A_CT[k]
            ct_row, is_reply = acts[row, column], acts[row, column + 2] != 0
            cls, current = proto_class[ct_row], state[ct_row]
            if cls == st.CLASS_TCP:
                current = st.tcp_next_state(current, flags, is_reply)
                timeout_column = tcp_columns[current]
            elif cls == st.CLASS_UDP:
                current = st.udp_next_state(current, is_reply)
                timeout_column = T_UDP_STREAM if current == st.UDP_STREAM else T_UDP
            elif cls == st.CLASS_ICMP:
                current = st.icmp_next_state(current, is_reply)
                timeout_column = T_ICMP
            else:
                timeout_column = T_OTHER
            side = 1 if is_reply else 0
            state[ct_row] = current
            packets[ct_row, side] += 1
            bytes_[ct_row, side] += info[I_IP_TOTAL, i]
            last_seen_s[ct_row] = now_s
            expires_s[ct_row] = now_s + timeouts_s[eni[ct_row], timeout_column]
    return count


@kernel
def account(pos: int, stop: int, info: np.ndarray, acts: np.ndarray, log_acc: np.ndarray,
            log_order: np.ndarray, tally: np.ndarray) -> None:
    for i in range(pos, stop):
        if info[I_STATUS, i] != OK:
            continue
        row, length_bytes = info[I_ROW, i], info[I_IP_TOTAL, i]
        for column in a.A_LOG:
            slot = acts[row, column]
            if slot < 0:
                continue
            if log_acc[slot, L_PACKETS] == 0:
                log_order[tally[T_LOGGED]] = slot
                tally[T_LOGGED] += 1
            log_acc[slot, L_PACKETS] += 1
            log_acc[slot, L_BYTES] += length_bytes
            log_acc[slot, L_FLAGS] |= reduced_flags(info[I_TCP_FLAGS, i])
        if acts[row, a.A_RX_ENI] >= 0:
            tally[TALLY_RX + acts[row, a.A_RX_ENI]] += 1
            tally[T_RX] += 1


@kernel
def emit(pos: int, stop: int, buf: np.ndarray, info: np.ndarray, acts: np.ndarray,
         header: np.ndarray, tunnel_info: np.ndarray, out_buf: np.ndarray,
         out_table: np.ndarray, out_length: np.ndarray, tally: np.ndarray) -> None:
    for i in range(pos, stop):
        if info[I_STATUS, i] != OK:
            continue
        row, begin, end = info[I_ROW, i], info[I_START, i], info[I_END, i]
        at, frame_bytes, header_bytes = tally[T_BYTES], end - begin, 0
        if acts[row, a.A_KIND] == a.KIND_UNDERLAY:
            tunnel = acts[row, a.A_TUNNEL]
            header_bytes = tunnel_info[tunnel, T_LENGTH]
            copy_bytes(out_buf, at, header, tunnel * MAX_HEADER_BYTES, header_bytes)
            ip_total = header_bytes - 14 + frame_bytes
            checksum = ipv4_header_checksum(tunnel_info[tunnel, T_IP_SUM], ip_total)
            udp_bytes, sport = header_bytes - 34 + frame_bytes, acts[row, a.A_UDP_SPORT]
            out_buf[at + 16], out_buf[at + 17] = ip_total >> 8, ip_total & 0xFF
            out_buf[at + 24], out_buf[at + 25] = checksum >> 8, checksum & 0xFF
            out_buf[at + 34], out_buf[at + 35] = sport >> 8, sport & 0xFF
            out_buf[at + 38], out_buf[at + 39] = udp_bytes >> 8, udp_bytes & 0xFF
        inner = at + header_bytes
        destination, source = acts[row, a.A_DST_MAC], acts[row, a.A_SRC_MAC]
        for k in range(6):
            out_buf[inner + k] = (destination >> (40 - 8 * k)) & 0xFF
            out_buf[inner + 6 + k] = (source >> (40 - 8 * k)) & 0xFF
        copy_bytes(out_buf, inner + 12, buf, begin + 12, frame_bytes - 12)
        emitted = tally[T_EMITTED]
        out_table[R_START, emitted], out_length[emitted] = at, header_bytes + frame_bytes
        out_table[R_PORT, emitted], out_table[R_SOURCE, emitted] = acts[row, a.A_PORT], i
        tally[T_EMITTED], tally[T_BYTES] = emitted + 1, inner + frame_bytes
