"""Bad input: a SYN flood of random 5-tuples against established flows.

`measure_flood(established, capacity, flood_packets, seconds, repeats)`:
1. a bed whose ENIs track at most `capacity` connections; `established` UDP flows
   installed; their 64 B packets replayed alone through host-1's batch entry point
   (`process_vm_batch`: the engine loop's processing, emissions listed as bytes) -> the
   baseline rate;
2. the flood: TCP SYNs from the client to random open ports (5201-5299) from random
   source ports — each a new 5-tuple that passes the security groups and wants a tracked
   connection — interleaved 1:1 with established packets, 256 frames a batch, as fast as
   the engine takes them, in two halves. The first half fills the conntrack table; past
   capacity new connections are refused (`conntrack_full`) and counted.
Reported: established packets per second alone and during the flood (and their ratio),
how many established packets were lost (should be none), the flood's fate (tracked,
refused by the counter), conntrack and flow-cache sizes, and RSS after each half —
bounded memory shows as no growth in the second half.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from bench.bed import BATCH_PACKETS, Bed, install, make_bed
from bench.flows import as_bytes, flow_frames
from bench.inmemory import pool_flows
from bench.policy import CLIENT, SERVER, SERVICE_PORTS
from bench.timing import one_core, rate
from smartnic.packet import build_frame, ip_to_int

SYN = 0x02
UDP = 17
INNER_PROTO_OFFSET = 14 + 20 + 8 + 8 + 14 + 9  # outer Eth/IPv4/UDP/VXLAN, inner Eth, proto
ESTABLISHED_POOL_PACKETS = 4096


def syn_frames(bed: Bed, count: int, seed: int = 7) -> list[bytes]:
    """`count` TCP SYNs from the client VM with random source and (open) destination ports."""
    rng = np.random.default_rng(seed)
    eni = bed.program.enis[CLIENT["eni"]]
    router = bed.program.vpcs[eni.vpc_id].router_mac
    src, dst = ip_to_int(CLIENT["ip"])[1], ip_to_int(SERVER["ip"])[1]
    sports = rng.integers(1024, 65536, count)
    dports = rng.integers(SERVICE_PORTS[0], SERVICE_PORTS[1] + 1, count)
    return [build_frame(eth_src=eni.mac, eth_dst=router, ip_version=4, src_ip=src, dst_ip=dst,
                        proto=6, sport=int(s), dport=int(d), tcp_flags=SYN, seq=int(s) * 7919)
            for s, d in zip(sports, dports, strict=True)]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _mixed_run(bed: Bed, established: list[bytes], flood: list[bytes]) -> tuple[int, int, float]:
    """Interleave 1:1; returns (established frames forwarded, established offered, seconds).
    Established flows are UDP and the flood TCP, so the inner protocol tells them apart."""
    half = BATCH_PACKETS // 2
    forwarded = offered = 0
    start = time.perf_counter()
    for i in range(0, len(flood), half):
        batch = [established[(i + k) % len(established)] for k in range(half)]
        emitted = bed.client.process_vm_batch(CLIENT["eni"], batch + flood[i:i + half])
        offered += len(batch)
        forwarded += sum(1 for e in emitted if e.port == "underlay"
                         and e.frame[INNER_PROTO_OFFSET] == UDP)
    return forwarded, offered, time.perf_counter() - start


def _state(bed: Bed) -> dict[str, int]:
    counters = bed.client.eni_counters(CLIENT["eni"])
    return {"conntrack_entries": counters.get("conntrack_entries", 0),
            "refused_new_connections": counters.get("conntrack_allowance_exceeded", 0),
            "flow_cache_entries": _flow_entries(bed), "rss_bytes": _rss_bytes()}


def _flow_entries(bed: Bed) -> int:
    """Entries of the cache that replays flows: the fast path's table when there is one."""
    fast = bed.client.fastpath
    return len(bed.client.flows) if fast is None else int(fast.counters()["entries"])


def measure_flood(established: int, capacity: int, flood_packets: int, seconds: float,
                  repeats: int) -> dict[str, Any]:
    bed = make_bed(conntrack_max=capacity)
    install(bed, as_bytes(flow_frames(bed.program, np.arange(established), 64)))
    pool = as_bytes(flow_frames(bed.program, pool_flows(
        established, ESTABLISHED_POOL_PACKETS, seed=3), 64))
    flood = syn_frames(bed, flood_packets)
    with one_core():
        alone = rate(lambda: len(bed.client.process_vm_batch(CLIENT["eni"], pool)),
                     seconds, repeats)
        before = _state(bed)
        first = _mixed_run(bed, pool, flood[:len(flood) // 2])
        middle = _state(bed)
        second = _mixed_run(bed, pool, flood[len(flood) // 2:])
        after = _state(bed)
    forwarded, offered = first[0] + second[0], first[1] + second[1]
    during = forwarded / (first[2] + second[2])
    return {"established_flows": established, "capacity": capacity,
            "flood_packets": flood_packets, "established_alone_pps": alone.per_s,
            "established_during_flood_pps": during,
            "established_share_kept": during / alone.per_s if alone.per_s else 0.0,
            "established_lost": offered - forwarded,
            "flood_pps": flood_packets / (first[2] + second[2]),
            "tracked_after": after["conntrack_entries"],
            "refused_new_connections": after["refused_new_connections"],
            "flow_cache_entries": after["flow_cache_entries"],
            "rss_growth_first_half_bytes": middle["rss_bytes"] - before["rss_bytes"],
            "rss_growth_second_half_bytes": after["rss_bytes"] - middle["rss_bytes"],
            "second_half_established_pps": second[0] / second[2]}
