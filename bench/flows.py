"""The generated traffic of the in-memory benchmarks: UDP flows from the client ENI.

`flow_ports(flow)` numbers flows: flow i is UDP from the client's port 1024 + i mod 64512
to the server's port 5201 + i div 64512 (inside the policy's open range for up to
`MAX_FLOWS`). `flow_frames(program, flows, frame_bytes)` builds the frames of the given
flow numbers as an (n, frame_bytes - 4) uint8 array: one template from the AF_PACKET
generator's `udp_frame` (bench/txring.py; `frame_bytes` counts the 4-byte FCS as it
does), the two port fields patched and the UDP checksum adjusted, without a Python loop
per packet. `as_bytes(rows)` turns rows into the `bytes` frames the engine's batch API takes.
"""

from __future__ import annotations

import numpy as np

from bench.policy import CLIENT, SERVER, SERVICE_PORTS
from bench.txring import udp_frame
from smartnic.compiler.program import Program
from smartnic.packet import bytes_to_mac

SPORT_BASE = 1024
SPORTS = 65536 - SPORT_BASE
MAX_FLOWS = SPORTS * (SERVICE_PORTS[1] - SERVICE_PORTS[0] + 1)
UDP_OFFSET = 14 + 20  # Ethernet + IPv4 without options


def flow_ports(flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source ports, destination ports) of flow numbers `flows`."""
    if flows.size and int(flows.max()) >= MAX_FLOWS:
        raise ValueError(f"at most {MAX_FLOWS} distinct flows fit the open port range")
    return (SPORT_BASE + flows % SPORTS).astype(np.uint16), \
        (SERVICE_PORTS[0] + flows // SPORTS).astype(np.uint16)


def template(program: Program, frame_bytes: int) -> np.ndarray:
    """The frame of flow 0 from the client VM to its router, as uint8."""
    eni = program.enis[CLIENT["eni"]]
    router = program.vpcs[eni.vpc_id].router_mac
    sport, dport = flow_ports(np.zeros(1, np.int64))
    frame = udp_frame(bytes_to_mac(eni.mac), bytes_to_mac(router), CLIENT["ip"], SERVER["ip"],
                      int(sport[0]), int(dport[0]), frame_bytes)
    return np.frombuffer(frame, np.uint8).copy()


def _fold(total: np.ndarray) -> np.ndarray:
    total = (total & 0xFFFF) + (total >> 16)
    return (total & 0xFFFF) + (total >> 16)


def flow_frames(program: Program, flows: np.ndarray, frame_bytes: int) -> np.ndarray:
    """Frames of flow numbers `flows`, one row each; see the module docstring."""
    base = template(program, frame_bytes)
    rows = np.empty((flows.size, base.size), np.uint8)
    rows[:] = base
    sport, dport = flow_ports(flows.astype(np.int64))
    old_sport = int(base[UDP_OFFSET]) << 8 | int(base[UDP_OFFSET + 1])
    old_dport = int(base[UDP_OFFSET + 2]) << 8 | int(base[UDP_OFFSET + 3])
    old_sum = int(base[UDP_OFFSET + 6]) << 8 | int(base[UDP_OFFSET + 7])
    # RFC 1624 incremental update: HC' = ~(~HC + ~m + m')
    total = (~old_sum & 0xFFFF) + (~old_sport & 0xFFFF) + (~old_dport & 0xFFFF) \
        + sport.astype(np.int64) + dport.astype(np.int64)
    checksum = ~_fold(total) & 0xFFFF
    checksum[checksum == 0] = 0xFFFF  # zero means "no checksum" in UDP over IPv4
    rows[:, UDP_OFFSET] = sport >> 8
    rows[:, UDP_OFFSET + 1] = sport & 0xFF
    rows[:, UDP_OFFSET + 2] = dport >> 8
    rows[:, UDP_OFFSET + 3] = dport & 0xFF
    rows[:, UDP_OFFSET + 6] = checksum >> 8
    rows[:, UDP_OFFSET + 7] = checksum & 0xFF
    return rows


def as_bytes(rows: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in rows]
