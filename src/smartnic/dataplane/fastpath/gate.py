"""The batch gate: each ENI's new-flow allowance, decided before anything else of a batch.

A connection-opening packet — a TCP SYN without ACK that the classifier (classify.py)
accepted as well formed — costs what no later packet of its flow costs: an admission
decision, connection-tracking rows, flow-table entries, and the answers it provokes. The
gate lets each ENI open at most `rate` such connections per second (a token bucket
holding at most one second's worth) and drops the rest before they cost anything more:
stage `allowance_exceeded`, reason `new_flow_allowance`, counter
`new_flow_allowance_exceeded` on the ENI. The sender's host gates what its VMs send (the
flood never leaves it beyond its allowance); a receiving host gates again, per local
receiving ENI, what arrives from the underlay. Traffic between two VMs of one host is
gated once, at the sender.

The engine with the fast path and the engine without it run this same kernel over the
same classified columns, at the start of each batch, so both refuse exactly the same
packets (tests/property/test_prop_fastpath.py). Frames the classifier punts (IPv4
options, fragments, malformed, ...) are never gated here: they go to the slow path,
whose per-ENI share (host_batches.py) bounds them.

`slot_of` receives each packet's slot (the sending ENI for every frame of a VM port; on
the underlay side the receiving ENI named by the key's receiver tag, or -1 for a frame
the classifier did not accept): the slow path's share is accounted per slot.

Example:
    refused = np.zeros(slots, np.int64)
    gate(VM_SIDE, slot, now_s, keys, info, tag_slot, rate, tokens, last_s, slot_of, refused)
"""

from __future__ import annotations

import numpy as np

from smartnic.dataplane.fastpath.columns import I_PROTO, I_STATUS, I_TCP_FLAGS
from smartnic.dataplane.fastpath.flowkey import VM_SIDE
from smartnic.dataplane.fastpath.parse import DROPPED, OK, PROTO_TCP
from smartnic.dataplane.kernel import kernel

TCP_SYN, TCP_ACK = 0x02, 0x10
RECEIVER_TAG_WORD = 6  # underlay keys: sender tag << 16 | receiver tag (keys.underlay_origin)


@kernel
def take(slot: int, now_s: float, rate: np.ndarray, tokens: np.ndarray,
         last_s: np.ndarray) -> bool:
    """One new flow from slot's bucket (refilled at `rate` per second, up to `rate`)."""
    limit = rate[slot]
    if limit <= 0:
        return True
    elapsed = now_s - last_s[slot]
    if elapsed > 0:
        tokens[slot] = min(limit, tokens[slot] + elapsed * limit)
        last_s[slot] = now_s
    if tokens[slot] >= 1.0:
        tokens[slot] -= 1.0
        return True
    return False


@kernel
def gate(side: int, port_slot: int, now_s: float, keys: np.ndarray, info: np.ndarray,
         tag_slot: np.ndarray, rate: np.ndarray, tokens: np.ndarray, last_s: np.ndarray,
         slot_of: np.ndarray, refused: np.ndarray) -> int:
    """Mark refused openings DROPPED (counted per slot in `refused`); returns how many."""
    dropped = 0
    for i in range(info.shape[1]):
        slot = port_slot
        if side != VM_SIDE:
            slot = -1
            if info[I_STATUS, i] == OK:
                slot = tag_slot[np.int64(keys[i, RECEIVER_TAG_WORD]) & 0xFFFF]
        slot_of[i] = slot
        if info[I_STATUS, i] != OK:
            continue
        flags = info[I_TCP_FLAGS, i]
        if slot < 0 or info[I_PROTO, i] != PROTO_TCP:
            continue
        if (flags & TCP_SYN) == 0 or (flags & TCP_ACK) != 0:
            continue
        if not take(slot, now_s, rate, tokens, last_s):
            info[I_STATUS, i] = DROPPED
            refused[slot] += 1
            dropped += 1
    return dropped

