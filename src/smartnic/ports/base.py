"""The port interface every data-plane port implements: batches in, batches out.

A port moves whole Ethernet frames. `rx_batch` returns what arrived since the last call
(at most `max_frames`), `tx_batch` sends a list of frames; neither blocks.

A port may also move frames as arrays (a PacketBatch: one buffer, a start and a length per
frame): `rx_packets(max_frames)` (valid until its next receive) and `tx_packets(batch)`.
The host engine uses them where a port has them, so the common case makes no Python
object per frame (udp.py has both); other ports go through the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Port(Protocol):
    name: str

    def rx_batch(self, max_frames: int = 256) -> list[bytes]: ...

    def tx_batch(self, frames: Sequence[bytes]) -> None: ...

    def close(self) -> None: ...
