"""Compile (or load from the cache) every kernel before the first real packet needs it.

Numba compiles a kernel on its first call; with the admission kernels that takes over a
minute on a cold cache, and an engine doing it on the first packet of a flow would stall
that packet (and everything behind it) for as long. `warm_up()` runs a small two-host
cloud through every path the kernels take — new flows admitted on both sides, flow-log
slots, a full ENI swept and refused, tables grown, hits in both directions — so the
kernels are compiled into numba's cache once (smartnic/numba_cache.py), and every later
process only loads them. `smartnic up` warms up before building anything; each engine
process warms up before it declares itself ready; `make test` warms up before the suite.

`python -m smartnic.dataplane.warmup` does the same from the command line.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from smartnic.clock import VirtualClock
from smartnic.compiler.compile import compile_program
from smartnic.dataplane.fastpath.flowtable import INITIAL_ROWS as FLOW_TABLE_ROWS
from smartnic.dataplane.host_engine import HostEngine
from smartnic.model import load_config
from smartnic.ports import mmsg
from smartnic.ports.memory import MemoryPort, MemoryUnderlay
from smartnic.ports.udp_frames import HEADROOM, frame_datagrams
from smartnic.scenarios.sends import build_send

FLOWS = FLOW_TABLE_ROWS + 64  # more than the tables' first size, so growth is loaded too
CAPACITY = 24  # eni-a's conntrack capacity: the flood past it is swept and refused

_OPEN = [{"proto": "all", "peer": "0.0.0.0/0"}]
_ACL = [{"n": 100, "action": "allow", "proto": "all", "cidr": "0.0.0.0/0"}]
CONFIG: dict[str, Any] = {
    "vpcs": [{"id": "vpc-w", "cidrs": ["10.0.0.0/16"], "default_sg": "sg-w",
              "default_nacl": "acl-w", "main_route_table": "rtb-w"}],
    "subnets": [{"id": "subnet-w", "vpc": "vpc-w", "cidr": "10.0.1.0/24"}],
    "security_groups": [{"id": "sg-w", "vpc": "vpc-w", "default": True, "ingress": _OPEN,
                         "egress": _OPEN}],
    "nacls": [{"id": "acl-w", "vpc": "vpc-w", "ingress": _ACL, "egress": _ACL}],
    "route_tables": [{"id": "rtb-w", "vpc": "vpc-w", "main": True, "routes": []}],
    "enis": [{"id": "eni-a", "subnet": "subnet-w", "ips": ["10.0.1.10"], "sgs": ["sg-w"],
              "limits": {"conntrack_max": CAPACITY}},
             {"id": "eni-b", "subnet": "subnet-w", "ips": ["10.0.1.20"], "sgs": ["sg-w"]}],
    "flow_logs": [{"id": "fl-w", "resource": "vpc-w", "traffic": "ALL"}],
    "hosts": [{"id": "host-1", "enis": ["eni-a"]}, {"id": "host-2", "enis": ["eni-b"]}],
}


def _frames(program: Any, src: str, dst_ip: str, proto: str) -> list[bytes]:
    flags = {"flags": "S"} if proto == "tcp" else {}
    return [frame for n in range(FLOWS) for frame in build_send(
        program, {"from": src, "dst": dst_ip, "proto": proto, "sport": 40000 + n,
                  "dport": 80, **flags}).frames]


def warm_up() -> float:
    """Run the warm-up cloud; returns the seconds it took (long only on a cold cache)."""
    start = time.perf_counter()
    program = compile_program(load_config(CONFIG))
    clock, network = VirtualClock(), MemoryUnderlay()
    engines = {host.id: HostEngine(host.id, program, clock,
                                   network.port(host.underlay_ip, host.id))
               for host in program.hosts.values()}
    engines["host-1"].attach("eni-a", MemoryPort("eni-a"))
    engines["host-2"].attach("eni-b", MemoryPort("eni-b"))
    for proto in ("udp", "tcp", "udp"):  # new flows (and a full ENI), then hits
        for src, dst_ip, sender, receiver in (("eni-a", "10.0.1.20", "host-1", "host-2"),
                                              ("eni-b", "10.0.1.10", "host-2", "host-1")):
            out = engines[sender].process_vm_batch(src, _frames(program, src, dst_ip, proto))
            underlay = [e.frame for e in out if e.port == "underlay"]
            engines[receiver].process_underlay_batch(underlay)
        clock.advance(1.0)
    for engine in engines.values():
        engine.eni_counters(next(iter(engine.vm_ports)))
        engine.tick()
    _warm_udp_receive()
    return time.perf_counter() - start


def _warm_udp_receive() -> None:
    """The UDP underlay's receive kernel, on one datagram made up in memory (no socket)."""
    receiver = mmsg.Receiver(1, 2 * HEADROOM, HEADROOM)
    receiver.words[0, mmsg.LENGTH_WORD] = HEADROOM
    frame_datagrams(receiver.buffer, receiver.slot_bytes, 1, receiver.words,
                    mmsg.LENGTH_WORD, mmsg.FLAGS_WORD, receiver.names,
                    np.zeros(4, np.uint8), 4789, np.zeros(1, np.int64), np.zeros(1, np.int32))


def loaded_kernels() -> dict[str, int]:
    """Every kernel of smartnic's imported modules -> how many compiled versions this process
    holds (a kernel only ever called from other kernels may hold none)."""
    found: dict[str, int] = {}
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("smartnic.") and module is not None:
            for name, value in list(vars(module).items()):
                if hasattr(value, "py_func") and hasattr(value, "overloads"):  # a kernel
                    found[f"{module_name}.{name}"] = len(value.overloads)
    return found


def main() -> None:
    seconds = warm_up()
    print(f"kernels ready in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
