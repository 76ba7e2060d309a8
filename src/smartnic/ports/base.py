"""The port interface every data-plane port implements: batches in, batches out.

A port moves whole Ethernet frames. `rx_batch` returns what arrived since the last call
(at most `max_frames`), `tx_batch` sends a list of frames; neither blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Port(Protocol):
    name: str

    def rx_batch(self, max_frames: int = 256) -> list[bytes]: ...

    def tx_batch(self, frames: Sequence[bytes]) -> None: ...

    def close(self) -> None: ...
