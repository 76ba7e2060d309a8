"""The judgement part of docs/benchmarks.md: each figure against its target, why a figure
falls short (from this run's own numbers and profiles), and what changed since the
previous report.

`targets(results)` -> rows (figure, measured text, target text, measured/target, verdict).
`shortfalls(results)` -> markdown bullets, one per target missed, saying by how much and
what the run shows about why. `changes(results, previous, commits)` -> bullets comparing
with the figures embedded in the previous report (`previous` may be None).
"""

from __future__ import annotations

from typing import Any

from bench.harness import HEADLINE_FLOWS

LINE_RATE_MPPS = 14.88
NAIVE_FACTOR = 20.0
SLOWPATH_CPS = 1_000_000.0
E2E_FACTOR = 1.0  # smartnic's pps ÷ the kernel's, same run (the goal is 2×)
NULL_FACTOR = 0.8  # smartnic's pps ÷ the null forwarder's on the same ports
BUSY_RTT_FACTOR = 2.0  # busy polling's ping p99 ÷ the kernel's
ADAPTIVE_RTT_P50_US = 100.0
BYTES_PER_CONNECTION = 128.0


def _ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def _row(name: str, measured: str, target: str, ratio: float | None,
         higher_is_better: bool = True) -> tuple[str, str, str, str, str]:
    if ratio is None:
        return name, measured, target, "–", "not measured"
    met = ratio >= 1.0 if higher_is_better else ratio <= 1.0
    return name, measured, target, f"{ratio:.3g}×", "met" if met else "short"


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    f, e = results["figures"], results["figures"]["e2e"]
    kind = f.get("fastpath_datapath") or "fast path"
    connections = (results.get("memory") or {}).get("connections")
    speedup = _ratio(f["fastpath_mpps"], f["naive_mpps"])
    pps_ratio = _ratio(e["smartnic_pps"], e["kernel_pps"])
    rtt_ratio = _ratio(e["smartnic_rtt_p99_us"], e["kernel_rtt_p99_us"])
    busy_ratio = _ratio(e.get("smartnic_busy_rtt_p99_us"), e["kernel_rtt_p99_us"])
    null_ratio = _ratio(e["smartnic_pps"], e.get("null_pps"))
    return [
        _row(f"flow-cache hits ({kind}), 64 B, one core, encap ({HEADLINE_FLOWS:,} flows)",
             _num(f["fastpath_mpps"], "Mpps"), f"≥ {LINE_RATE_MPPS} Mpps",
             _ratio(f["fastpath_mpps"], LINE_RATE_MPPS)),
        _row(f"flow-cache hits ({kind}), 64 B, one core, decap + SG",
             _num(f["fastpath_decap_mpps"], "Mpps"), f"≥ {LINE_RATE_MPPS} Mpps",
             _ratio(f["fastpath_decap_mpps"], LINE_RATE_MPPS)),
        _row("hits ÷ naive (64 B encap)", _num(speedup, "×"), f"≥ {NAIVE_FACTOR:g}×",
             _ratio(speedup, NAIVE_FACTOR)),
        _row("new connections/s, one engine core (slower side), AWS-max policy",
             _num(slower_cps(f), "/s"), "≥ 1,000,000/s", _ratio(slower_cps(f), SLOWPATH_CPS)),
        _row("end to end 64 B UDP pps, smartnic ÷ kernel", _num(pps_ratio, "×"),
             f"≥ {E2E_FACTOR:g}×", _ratio(pps_ratio, E2E_FACTOR)),
        _row("end to end 64 B UDP pps, smartnic ÷ null forwarder (the ports' ceiling)",
             _num(null_ratio, "×"), f"≥ {NULL_FACTOR:g}×", _ratio(null_ratio, NULL_FACTOR)),
        _row("end to end ping p99, smartnic ÷ kernel", _num(rtt_ratio, "×"), "≤ 1×",
             rtt_ratio, higher_is_better=False),
        _row("end to end ping p99, `--poll busy` ÷ kernel", _num(busy_ratio, "×"),
             f"≤ {BUSY_RTT_FACTOR:g}×", _ratio(busy_ratio, BUSY_RTT_FACTOR),
             higher_is_better=False),
        _row("end to end ping p50, `--poll adaptive`",
             _num(e.get("smartnic_adaptive_rtt_p50_us"), "µs"), f"≤ {ADAPTIVE_RTT_P50_US:g} µs",
             _ratio(e.get("smartnic_adaptive_rtt_p50_us"), ADAPTIVE_RTT_P50_US),
             higher_is_better=False),
        _hostile_row(f.get("hostile")),
        _row(f"bytes per tracked connection ({connections or 0:,} connections)",
             _num(f["bytes_per_connection"], "B"), f"≤ {BYTES_PER_CONNECTION:g} B",
             _ratio(f["bytes_per_connection"], BYTES_PER_CONNECTION),
             higher_is_better=False),
    ]


def _hostile_row(h: dict[str, Any] | None) -> tuple[str, str, str, str, str]:
    """The bystander's ping p99 under the fastest flood against twice its idle p99."""
    name = "bystander ping p99 under a full-speed connection flood ÷ idle p99"
    floods = (h or {}).get("floods") or []
    if not floods or not h or not h.get("idle_ping_p99_ms"):
        return _row(name, "–", "≤ 2×", None)
    p99 = floods[-1]["ping_p99_ms"]
    ratio = None if p99 is None else p99 / h["idle_ping_p99_ms"] / 2.0
    shown = "lost" if p99 is None else f"{p99 / h['idle_ping_p99_ms']:.2f}× ({p99:.2f} ms)"
    return _row(name, shown, "≤ 2×", ratio, higher_is_better=False)


def slower_cps(f: dict[str, Any]) -> float | None:
    """New connections per second of the slower engine side (sender or receiver)."""
    sides = [v for v in (f.get("slowpath_cps"), f.get("slowpath_cps_receiver")) if v is not None]
    return min(sides) if sides else None


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "/s" or unit == "B":
        return f"{value:,.0f} {unit}".replace(" /s", "/s")
    return f"{value:.3g} {unit}" if unit != "×" else f"{value:.3g}×"


def _top(profile: dict[str, Any] | None, count: int = 3) -> str:
    if not profile:
        return "no profile"
    parts = [f"{name} {share:.0%}" for name, share in list(profile["stages"].items())[:count]]
    if parts:
        return ", ".join(parts) + " of the profiled time (cumulative)"
    own = [f"{e['function']} {e['own_share']:.0%}" for e in profile["top_own"][:count]]
    return ", ".join(own) + " of the profiled time (own)"


def _short_by(measured: float, target: float) -> str:
    """How far `measured` is under `target`: a factor when large, a share when small."""
    factor = target / measured
    return f"{factor:,.0f}× short of" if factor >= 2 else f"{1 - 1 / factor:.0%} short of"


def _hit_notes(results: dict[str, Any]) -> list[str]:
    f, python = results["figures"], (results.get("fast") or {}).get("kind") == "python"
    hits = _top(results.get("profile_hits"))
    notes = []
    if f["fastpath_mpps"] is not None and f["fastpath_mpps"] < LINE_RATE_MPPS:
        why = ("the numba fast path was not wired into the engine when this run was made, so "
               "(a) measured the Python batch path; " if python else "")
        notes.append(f"**Hits**: {f['fastpath_mpps']:.3g} Mpps is "
                     f"{_short_by(f['fastpath_mpps'], LINE_RATE_MPPS)} {LINE_RATE_MPPS} Mpps; "
                     f"{why}profile: {hits}.")
    decap = f["fastpath_decap_mpps"]
    if decap is not None and decap < LINE_RATE_MPPS:
        notes.append(f"**Hits, decap + SG**: {decap:.3g} Mpps is "
                     f"{_short_by(decap, LINE_RATE_MPPS)} {LINE_RATE_MPPS} Mpps"
                     f"{_classify_gap(results)}.")
    speedup = _ratio(f["fastpath_mpps"], f["naive_mpps"])
    if speedup is not None and speedup < NAIVE_FACTOR:
        why = ("the naive loop does only what the policy needs per packet, while the "
               "engine's cached path still builds a parsed packet object, checks the cached "
               "action and runs its effects in Python for every packet" if python
               else f"profile of hits: {hits}")
        notes.append(f"**Hits ÷ naive**: {speedup:.2g}× instead of ≥ {NAIVE_FACTOR:g}× "
                     f"({_short_by(speedup, NAIVE_FACTOR)} it): {why}.")
    return notes


def _classify_gap(results: dict[str, Any]) -> str:
    """Where the decap direction's extra time goes, from bench.kernels' breakdown."""
    k = results.get("kernels")
    if not k:
        return ""
    encap, decap = k["encap"], k["decap"]
    return (f": per packet, classify takes {decap['classify_ns']:.0f} ns against "
            f"{encap['classify_ns']:.0f} ns on the encap side and replay "
            f"{decap['replay_and_rest_ns']:.0f} ns against "
            f"{encap['replay_and_rest_ns']:.0f} ns — the receiver parses and checks two "
            "sets of headers (outer Ethernet/IPv4/UDP/VXLAN with the IPv4 checksum and the "
            "intake checks of source host, VNI and sender, then the inner packet and its "
            "checksums), which nothing may skip: the underlay is not trusted")


def shortfalls(results: dict[str, Any]) -> list[str]:
    f = results["figures"]
    notes = _hit_notes(results)
    slower = slower_cps(f)
    if slower is not None and slower < SLOWPATH_CPS:
        notes.append(f"**New connections**: {slower:,.0f}/s on one core (the slower side: "
                     f"sender {f['slowpath_cps']:,.0f}/s, receiver "
                     f"{f.get('slowpath_cps_receiver') or 0:,.0f}/s) is "
                     f"{_short_by(slower, SLOWPATH_CPS)} 1M/s; each first packet "
                     "is decided over the AWS-maximum tables (5 groups × 60 rules a "
                     "direction, 300 SG-reference peers) and gets a conntrack row and a "
                     "flow entry, all in kernels; profile through the engine: "
                     f"{_top(results.get('profile_slowpath'))}.")
    notes += _e2e_shortfalls(results)
    if f["bytes_per_connection"] is not None and f["bytes_per_connection"] > \
            BYTES_PER_CONNECTION:
        memory = results.get("memory") or {}
        notes.append(f"**Memory**: {f['bytes_per_connection']:.0f} B per connection is "
                     f"{f['bytes_per_connection'] - BYTES_PER_CONNECTION:.0f} B over "
                     f"{BYTES_PER_CONNECTION:g} B (arrays alone: "
                     f"{memory.get('array_bytes_per_connection') or 0:.0f} B).")
    return notes


def _shared_core_bound(results: dict[str, Any]) -> str:
    """What the in-memory rates allow when both engines share one core."""
    f = results["figures"]
    encap, decap = f["fastpath_mpps"], f["fastpath_decap_mpps"]
    if not encap or not decap:
        return ""
    bound = 1 / (1 / encap + 1 / decap)
    delivered = (f["e2e"]["smartnic_pps"] or 0) / 1e6
    limit = ("the packet work itself is most of what limits the real path" if delivered >
             bound / 2 else "port I/O and the engine loop, not the packet work, limit the "
             "real path")
    return (f"; in memory the encap and decap halves run at {encap:.3g} and {decap:.3g} Mpps "
            f"on one core, so two engines sharing one core would top out near {bound:.3g} "
            f"Mpps: {limit}")


def _round_trip_work(results: dict[str, Any]) -> str:
    one = (results.get("fast") or {}).get("single_packet") or {}
    if not one:
        return ""
    per_way = one["encap_p50_us"] + one["decap_p50_us"]
    idle = one.get("encap_idle_p50_us", 0.0) + one.get("decap_idle_p50_us", 0.0)
    return (f" (in memory a one-frame batch takes {one['encap_p50_us']:,.0f} µs through the "
            f"sending engine and {one['decap_p50_us']:,.0f} µs through the receiving one "
            f"back to back, but {one.get('encap_idle_p50_us', 0):,.0f} and "
            f"{one.get('decap_idle_p50_us', 0):,.0f} µs after 10 ms of idleness, as pings "
            f"arrive: about {2 * idle:,.0f} µs of a round trip is engine work on cold caches "
            f"against {2 * per_way:,.0f} µs warm — each batch still runs dozens of Python and "
            "numpy calls around the kernels, and this machine's caches do not keep them "
            "between pings)")


def _polled(e: dict[str, Any]) -> str:
    busy, adaptive = e.get("smartnic_busy_rtt_p50_us"), e.get("smartnic_adaptive_rtt_p50_us")
    if busy is None or adaptive is None:
        return ""
    return (f" (polling instead of sleeping in poll(2): p50 {adaptive:,.0f} µs adaptive, "
            f"{busy:,.0f} µs busy with a core per engine)")


def _udp_underlay(e: dict[str, Any]) -> str:
    pps, kernel = e.get("smartnic_udp_pps"), e["kernel_pps"]
    if not pps or not kernel:
        return ""
    return f"; with the underlay on a UDP socket {pps:,.0f} pps ({pps / kernel:.2g}×)"


def _e2e_shortfalls(results: dict[str, Any]) -> list[str]:
    e, notes = results["figures"]["e2e"], []
    pps_ratio = _ratio(e["smartnic_pps"], e["kernel_pps"])
    if pps_ratio is not None and pps_ratio < E2E_FACTOR:
        notes.append(f"**End to end pps**: smartnic delivered {e['smartnic_pps']:,.0f} pps, "
                     f"{pps_ratio:.2g}× the kernel's {e['kernel_pps']:,.0f} "
                     f"({_short_by(pps_ratio, E2E_FACTOR)} 1×){_udp_underlay(e)}: both host "
                     f"engines run on the one CPU the generator leaves free"
                     f"{_shared_core_bound(results)}. Frames move between the ports and the "
                     "kernels as arrays (no Python object per frame but on the way into a "
                     "TX ring), and a TX ring goes out with one system call per batch, but "
                     "within that call the kernel carries each frame across the veth, the "
                     "underlay bridge and into the other host, on the engines' one CPU.")
    rtt_ratio = _ratio(e["smartnic_rtt_p99_us"], e["kernel_rtt_p99_us"])
    if rtt_ratio is not None and rtt_ratio > 1.0:
        notes.append(f"**End to end RTT**: p99 {e['smartnic_rtt_p99_us']:,.0f} µs against the "
                     f"kernel's {e['kernel_rtt_p99_us']:,.0f} µs ({rtt_ratio:.0f}×), p50 "
                     f"{e['smartnic_rtt_p50_us'] or 0:,.0f} µs against "
                     f"{e['kernel_rtt_p50_us'] or 0:,.0f} µs{_polled(e)}: a ping and its reply "
                     f"each cross two engine processes that read an AF_PACKET ring or the UDP "
                     f"underlay socket and run the packet through the engine"
                     f"{_round_trip_work(results)}.")
    return notes


def changes(results: dict[str, Any], previous: dict[str, Any] | None,
            commits: list[str]) -> list[str]:
    """What this run measured, figure moves since `previous`, and the data-path commits
    since the previous report's commit (`commits`, from git)."""
    f = results["figures"]
    fast = results.get("fast") or {}
    memory = results.get("memory") or {}
    lines = [f"Datapath of (a): {fast.get('datapath', 'not measured')}.",
             f"Connection tracking: {memory.get('array_bytes_per_connection') or 0:.0f} B of "
             f"arrays per connection at {memory.get('connections', 0):,} connections."]
    if previous is None:
        lines.append("First report: no previous figures to compare with.")
    else:
        pairs = [(key, previous.get(key), f.get(key)) for key in (
            "fastpath_mpps", "fastpath_decap_mpps", "naive_mpps", "slowpath_cps",
            "bytes_per_connection", "flood_established_pps")]
        pairs += [(f"e2e.{key}", (previous.get("e2e") or {}).get(key), f["e2e"].get(key))
                  for key in ("smartnic_pps", "smartnic_rtt_p50_us", "smartnic_rtt_p99_us")]
        for key, old, new in pairs:
            if old and new:
                lines.append(f"`{key}`: {old:.4g} → {new:.4g} ({new / old:.2f}× the previous "
                             "run).")
        if previous.get("fastpath_datapath") != f.get("fastpath_datapath"):
            lines.append(f"(a) was measured on `{previous.get('fastpath_datapath')}` then, "
                         f"on `{f.get('fastpath_datapath')}` now.")
    if commits:
        since = "since the previous report" if previous else "latest"
        lines.append(f"Data-path commits ({since}): " + "; ".join(f"`{c}`" for c in commits))
    return lines
