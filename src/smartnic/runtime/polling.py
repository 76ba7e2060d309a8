"""How an engine waits for frames: `interrupt`, `adaptive` or `busy` (`smartnic up --poll`).

  interrupt  sleep in poll(2) until a port or the control socket is readable; the CPU is
             free while idle, and every frame after a quiet spell pays a wake-up. For
             engines that share cores with other work (the hypervisor placement, a laptop).
  adaptive   after traffic, keep polling the ports without sleeping for `spin_s` (1 ms: a
             request's reply comes back within it), then sleep in poll(2) as `interrupt`.
             Low latency for conversations, no core burnt while the host is idle.
  busy       never sleep: poll the ports in a loop. Ring ports (AF_PACKET) are read from
             their shared memory, so no system call is made while idle; a UDP underlay
             socket costs one non-blocking recvmmsg per pass. Meant for a dedicated core
             (the co-processor placement; pin it with `--cpus`): on a shared core it takes
             the whole slice from every other process there.

In `adaptive` and `busy`, the control socket and the timers are checked every
`CONTROL_CHECK_S` while spinning, so status and counters still answer.
`Waiting.should_sleep(now, last_traffic)` is the whole policy; the loop does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

PollMode = Literal["interrupt", "adaptive", "busy"]
POLL_MODES: tuple[str, ...] = get_args(PollMode)
ADAPTIVE_SPIN_S = 0.001
CONTROL_CHECK_S = 0.02


@dataclass(frozen=True)
class Waiting:
    mode: PollMode = "interrupt"
    spin_s: float = ADAPTIVE_SPIN_S

    def should_sleep(self, now: float, last_traffic: float) -> bool:
        """True: block in poll(2) now; False: poll the ports again straight away."""
        if self.mode == "busy":
            return False
        if self.mode == "adaptive":
            return now - last_traffic >= self.spin_s
        return True


def poll_mode(value: str) -> PollMode:
    """`value` checked: one of POLL_MODES, else ValueError naming the option."""
    for mode in get_args(PollMode):
        if value == mode:
            return mode  # type: ignore[no-any-return]
    raise ValueError(f"--poll {value!r}: expected one of {', '.join(POLL_MODES)}")


def cpu_list(value: str, allowed: set[int]) -> list[int]:
    """`--cpus` as "0,2" or "0-3" (or both: "0,2-3"), each CPU one this process may use."""
    cpus: list[int] = []
    for part in value.split(","):
        first, _, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise ValueError(f"--cpus {value!r}: expected CPU numbers like 0,1 or 0-3") from None
        if low > high or high - low > 4096:
            raise ValueError(f"--cpus {value!r}: range {part.strip()!r} is empty or too long")
        cpus += [cpu for cpu in range(low, high + 1) if cpu not in cpus]
    outside = [cpu for cpu in cpus if cpu not in allowed]
    if outside:
        raise ValueError(f"--cpus {value!r}: CPU {outside[0]} is not available "
                         f"(allowed: {sorted(allowed)})")
    return cpus


@dataclass(frozen=True)
class EnginePlacement:
    """`up --poll MODE --cpus LIST`: host engines wait as `poll_mode` says and are pinned one
    CPU each, round-robin over `cpus` in host order; the edge (the internet gateway, not a
    host's co-processor) always waits in poll(2) and may run on any CPU of `cpus`."""

    poll_mode: PollMode = "interrupt"
    cpus: list[int] = field(default_factory=list)

    def host_cpus(self, index: int) -> list[int]:
        return [self.cpus[index % len(self.cpus)]] if self.cpus else []
