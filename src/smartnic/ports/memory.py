"""In-memory ports: a pair of queues between an engine and whatever sits on the other side.

`MemoryPort.inbound` holds frames waiting for the engine (`rx_batch` takes them);
`tx_batch` appends to `outbound`, which the other side drains. `MemoryUnderlay` connects
the underlay ports of several engines by underlay IPv4 address, like a switch, and can
copy every frame it carries to a pcap file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from smartnic.ports.pcap import PcapWriter

OUTER_DST_IP_OFFSET = 30  # Ethernet (14) + IPv4 destination field (16)


class MemoryPort:
    def __init__(self, name: str) -> None:
        self.name = name
        self.inbound: deque[bytes] = deque()
        self.outbound: deque[bytes] = deque()

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        count = min(max_frames, len(self.inbound))
        return [self.inbound.popleft() for _ in range(count)]

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        self.outbound.extend(frames)

    def inject(self, frame: bytes) -> None:
        self.inbound.append(frame)

    def drain(self) -> list[bytes]:
        frames = list(self.outbound)
        self.outbound.clear()
        return frames

    def pending(self) -> int:
        return len(self.inbound)

    def close(self) -> None:
        self.inbound.clear()
        self.outbound.clear()


class MemoryUnderlay:
    """The physical network of the in-process cloud: IPv4 underlay address -> port."""

    def __init__(self, pcap: PcapWriter | None = None,
                 clock_now: Callable[[], float] | None = None) -> None:
        self.pcap = pcap
        self.clock_now = clock_now
        self.ports: dict[int, _UnderlayPort] = {}
        self.undeliverable = 0

    def port(self, underlay_ip: int, name: str) -> _UnderlayPort:
        port = _UnderlayPort(name, self)
        self.ports[underlay_ip] = port
        return port

    def carry(self, frames: Sequence[bytes]) -> None:
        for frame in frames:
            if self.pcap is not None:
                self.pcap.write(frame, self.clock_now() if self.clock_now else None)
            dst = int.from_bytes(frame[OUTER_DST_IP_OFFSET:OUTER_DST_IP_OFFSET + 4], "big")
            target = self.ports.get(dst) if len(frame) >= 34 else None
            if target is None:
                self.undeliverable += 1
            else:
                target.inbound.append(frame)

    def pending(self) -> int:
        return sum(len(p.inbound) for p in self.ports.values())


class _UnderlayPort:
    def __init__(self, name: str, network: MemoryUnderlay) -> None:
        self.name = name
        self.network = network
        self.inbound: deque[bytes] = deque()

    def rx_batch(self, max_frames: int = 256) -> list[bytes]:
        count = min(max_frames, len(self.inbound))
        return [self.inbound.popleft() for _ in range(count)]

    def tx_batch(self, frames: Sequence[bytes]) -> None:
        self.network.carry(frames)

    def inject(self, frame: bytes) -> None:
        self.inbound.append(frame)

    def close(self) -> None:
        self.inbound.clear()
