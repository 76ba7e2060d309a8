"""Compiling a slow-path `FlowAction` into one int64 row the kernels replay.

Columns (A_*): used bit (CLOCK), Program generation, output kind (VM or underlay), output
port index, path MTU, the new destination and source MACs (48-bit ints), for the underlay
a tunnel template index and the flow's UDP source port, the receiving ENI's counter index
(`rx_packets`), up to two conntrack references (row, incarnation, is_reply) and up to two
flow-log slots (-1: none).

Only actions the kernels can replay byte for byte are compiled (`installable`): cacheable,
no drop, output to a VM or the underlay, effects limited to conntrack touches on distinct
rows and flow-log observations. Everything else — services, gateways at the edge, rate
gates (allowances), drops — stays with the slow path, which re-decides such packets anyway.

Example:
    values = compile_action(action, env)   # None: leave this flow to the slow path
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smartnic.dataplane.actions import CtTouch, FlowAction, LogPacket, ToUnderlay, ToVm
from smartnic.dataplane.fastpath.logslots import LogSlots
from smartnic.dataplane.fastpath.tunnels import Tunnels

# Laid out by cache line (rows are 64-byte aligned, flowtable.py): what every hit reads
# in the first two lines, the second conntrack reference (same-host delivery) in the third.
A_GENERATION, A_MTU, A_CT_COUNT = 0, 1, 2
A_CT = (3, 16)  # each: row, incarnation, is_reply
A_KIND, A_PORT = 6, 7
A_DST_MAC, A_SRC_MAC, A_TUNNEL, A_UDP_SPORT, A_RX_ENI = 8, 9, 10, 11, 12
A_LOG = (13, 14)
A_USED = 15
ACT_COLUMNS = 24
KIND_VM, KIND_UNDERLAY = 1, 2
MAX_CT_REFS = 2
MAX_LOG_SLOTS = 2


@dataclass
class CompileEnv:
    """What compiling needs from the fast path: registries and the current coverage."""

    port_index: Callable[[str], int]
    eni_index: Callable[[str], int]
    tunnels: Tunnels
    logs: LogSlots
    logged_enis: frozenset[str]  # ENIs some flow log covers


def installable(action: FlowAction) -> bool:
    if not action.cacheable or action.drop is not None:
        return False
    if not isinstance(action.output, ToVm | ToUnderlay):
        return False
    touches = [e for e in action.effects if isinstance(e, CtTouch)]
    logs = [e for e in action.effects if isinstance(e, LogPacket)]
    if len(touches) + len(logs) != len(action.effects):
        return False  # a rate gate
    rows = [getattr(t.entry, "row", None) for t in touches]
    return (len(touches) <= MAX_CT_REFS and len(logs) <= MAX_LOG_SLOTS
            and None not in rows and len(set(rows)) == len(rows))


def compile_action(action: FlowAction, env: CompileEnv) -> np.ndarray | None:
    """The row of `action`, or None when it is not installable. Allocates log slots."""
    if not installable(action):
        return None
    values = np.zeros(ACT_COLUMNS, np.int64)
    values[A_GENERATION] = action.generation
    values[A_MTU] = action.path_mtu_bytes
    values[A_RX_ENI] = -1
    assert isinstance(action.output, ToVm | ToUnderlay)
    _output(values, action.output, env)
    touches = [e for e in action.effects if isinstance(e, CtTouch)]
    values[A_CT_COUNT] = len(touches)
    for column, touch in zip(A_CT, touches, strict=False):
        values[column:column + 3] = (touch.entry.row, touch.entry.incarnation, touch.is_reply)
    values[list(A_LOG)] = -1
    logs = [e for e in action.effects if isinstance(e, LogPacket) and e.eni_id in env.logged_enis]
    for column, effect in zip(A_LOG, logs, strict=False):
        values[column] = env.logs.allocate(effect)
    return values


def _output(values: np.ndarray, output: ToVm | ToUnderlay, env: CompileEnv) -> None:
    values[A_DST_MAC] = int.from_bytes(output.eth_dst, "big")
    values[A_SRC_MAC] = int.from_bytes(output.eth_src, "big")
    if isinstance(output, ToVm):
        values[A_KIND] = KIND_VM
        values[A_PORT] = env.port_index(f"vm:{output.eni_id}")
        values[A_RX_ENI] = env.eni_index(output.eni_id)
    else:
        values[A_KIND] = KIND_UNDERLAY
        values[A_PORT] = env.port_index("underlay")
        values[A_TUNNEL] = env.tunnels.index(output)
        values[A_UDP_SPORT] = output.udp_src_port

