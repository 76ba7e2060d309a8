"""docs/benchmarks.md from one run's results (bench.harness.run).

`render(results, previous)` -> markdown: machine and date, figures against targets, why a
figure falls short, the per-case tables of (a)-(e), the flood case, the profiles and what
changed; the figures (and the commit) are embedded at the end as a JSON comment so the next
report can compare (`previous_figures(text)` reads them back). `write(results, path)`
renders with the previous figures and the data-path commits since, and writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.machine import code_changes
from bench.policy import aws_max_config, policy_size
from bench.report_notes import changes, shortfalls, targets
from bench.report_tcp import tcp_section

FIGURES_MARK = "bench-figures"
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _m(pps: float | None) -> str:
    return "–" if pps is None else f"{pps / 1e6:.3f}"


def _machine(r: dict[str, Any]) -> list[str]:
    m = r["machine"]
    return ["## Machine", "", *_table(
        ("CPU", "cores", "kernel", "memory", "Python", "numpy", "numba", "Open vSwitch",
         "commit", "load avg (start → end)"),
        [(m["cpu_model"], m["cores"], m["kernel"], f"{m['memory_gb']} GB", m["python"],
          m["numpy"], m["numba"], m["openvswitch"] or "–", m["git"] or "–",
          f"{m['load_average'][0]} → {r.get('load_average_end', ['?'])[0]}")]), ""]


def _summary(r: dict[str, Any]) -> list[str]:
    lines = ["## Figures against targets", "",
             *_table(("figure", "measured", "target", "measured ÷ target", ""), targets(r)), ""]
    notes = shortfalls(r)
    if notes:
        lines += ["### Where it falls short, and why", "", *[f"- {n}" for n in notes], ""]
    return lines


def _hits(r: dict[str, Any]) -> list[str]:
    fast, naive = r.get("fast") or {}, r.get("naive") or {}
    naive_cases = {(c["flows"], c["frame_bytes"]): c for c in naive.get("cases", [])}
    rows = []
    for c in fast.get("cases", []):
        n = naive_cases.get((c["flows"], c["frame_bytes"]), {})
        ratio = c["encap_pps"] / n["encap_pps"] if n else None
        rows.append((f"{c['flows']:,}", c["frame_bytes"], _m(c["encap_pps"]), _m(c["decap_pps"]),
                     _m(n.get("encap_pps")), _m(n.get("decap_pps")),
                     f"{ratio:.2f}×" if ratio else "–", f"{c['encap_punted']}/{c['decap_punted']}",
                     f"{c['pool_packets']:,}"))
    lines = ["## (a) Flow-cache hits and (c) the naive baseline", "",
             f"Datapath: {fast.get('datapath', '–')}, pinned to CPU {fast.get('cpu', '–')}. "
             "Mpps on one core, median of the samples; flows installed first (one packet "
             "each through both engines' slow paths); each measurement replays a pool of "
             "packets whose flows are drawn uniformly from the installed ones.", "",
             *_table(("flows", "frame B", "encap Mpps", "decap+SG Mpps", "naive encap",
                      "naive decap", "encap ÷ naive", "punted", "pool"), rows), ""]
    if fast.get("cache_rows") and any(c["encap_punted"] or c["decap_punted"]
                                      for c in fast.get("cases", [])):
        lines.append(f"- The measured flow cache holds at most {fast['cache_rows']:,} flows: "
                     "beyond that, packets of evicted flows are punted to the slow path; the "
                     "rates count only the packets the fast path forwarded itself.")
    lines += _cache_note(fast.get("cases", []))
    for skip in fast.get("skipped", []):
        lines.append(f"- {skip['flows']:,} flows not measured: {skip['reason']}.")
    one = fast.get("single_packet") or {}
    if one:
        lines.append(f"- One-frame batches through the engines' batch entry points (the "
                     f"latency a lone packet sees): encap {one['encap_p50_us']:,.1f} µs p50 / "
                     f"{one['encap_p99_us']:,.1f} µs p99, decap + SG {one['decap_p50_us']:,.1f}"
                     f" / {one['decap_p99_us']:,.1f} µs; after 10 ms idle (as for pings on "
                     f"real ports: caches gone cold) {one.get('encap_idle_p50_us', 0):,.0f} and "
                     f"{one.get('decap_idle_p50_us', 0):,.0f} µs p50.")
    lines.append(f"- Installing {fast.get('installed_flows', 0):,} flows took "
                 f"{fast.get('install_s', 0):.1f} s; peak RSS grew by "
                 f"{fast.get('peak_rss_growth_bytes', 0) / 2**20:,.0f} MiB (flow caches and "
                 "conntrack of both engines).")
    return [*lines, ""]


def _cache_note(cases: list[dict[str, Any]]) -> list[str]:
    """How hit rates fall as the flows outgrow the CPU caches (64 B encap)."""
    rates = {c["flows"]: c["encap_pps"] for c in cases if c["frame_bytes"] == 64}
    if 1000 not in rates or len(rates) < 2:
        return []
    largest = max(rates)
    if largest <= 1000 or rates[largest] > rates[1000] / 2:
        return []
    return [f"- 64 B encap hits fall from {rates[1000] / 1e6:.3g} Mpps at 1,000 flows to "
            f"{rates[largest] / 1e6:.3g} Mpps at {largest:,}: each hit reads a flow entry "
            "and writes a conntrack row chosen by the flow, and beyond what the CPU caches "
            "hold every packet waits for memory."]


def _slowpath(r: dict[str, Any]) -> list[str]:
    s = r.get("slowpath") or {}
    size = policy_size(aws_max_config())
    return ["## (b) Slow path: new connections with an AWS-maximum policy", "",
            f"Policy per ENI: {size['groups_per_eni']} security groups × "
            f"{size['ingress_units_per_group']} inbound + {size['egress_units_per_group']} "
            f"outbound quota units (CIDR rules, {size['sg_references']} SG references and "
            f"{size['prefix_list_rules']} prefix-list rules in all); NACL "
            f"{size['nacl_rules_per_direction']} rules per direction (19 + `*`); "
            f"{size['ipv4_routes']} IPv4 + {size['ipv6_routes']} IPv6 static routes "
            "(the default quota of 50 per family), not prefix-list routes.", "",
            "Each side runs on its own host's engine core; the headline is the slower "
            "side through the datapath's entry point (what one engine core admits). Every "
            "first packet is decided by the admission kernels (a punt fails the run).", "",
            *_table(("entry point", "connections", "sender side cps", "receiver side cps",
                     "one core doing both halves", "both-halves samples"),
                    [_slowpath_row(label, s.get("connections", 0), s.get(key) or {})
                     for label, key in (("datapath (PacketBatch, 1024 a batch)", "datapath"),
                                        ("engine list API (bytes, 256 a call)",
                                         "engine_api"))]), ""]


def _slowpath_row(label: str, connections: int, x: dict[str, Any]) -> tuple[str, ...]:
    return (label, f"{connections:,}", f"{x.get('sender_cps', 0):,.0f}",
            f"{x.get('receiver_cps', 0):,.0f}", f"{x.get('both_halves_cps', 0):,.0f}",
            ", ".join(f"{v:,.0f}" for v in x.get("both_halves_samples", [])))


def _e2e(r: dict[str, Any]) -> list[str]:
    e2e = r.get("e2e")
    if not e2e:
        return ["## (d) End to end", "", "Not run (`--skip-e2e`, or the step failed).", ""]
    rows = []
    for name, x in e2e.items():
        if "error" in x:
            rows.append((name, x["error"], "", "", "", "", ""))
            continue
        rows.append((name, f"{x['pps']:,.0f}", f"{x['offered_pps']:,.0f}",
                     f"{x['loss_ratio']:.1%}", f"{x['rtt_p50_us']:,.0f}",
                     f"{x['rtt_p99_us']:,.0f}",
                     ", ".join(f"{p:,.0f}" for p in x.get("pps_samples", []))))
    return ["## (d) End to end: VM to VM across two hosts", "",
            "64 B UDP from the AF_PACKET TX-ring generator (bench/txring.py, pinned to one CPU) "
            "in the client VM namespace, counted by an nftables rule in the server VM "
            "namespace; ping RTT measured first on the idle path. smartnic: `smartnic up` of "
            "the benchmark cloud (AWS-maximum policy), engines pinned to the other CPU, "
            "underlay on AF_PACKET rings (the default; the figures use it) or on a UDP "
            "socket (smartnic-udp, `up --underlay udp`); smartnic-adaptive and "
            "smartnic-busy: `up --poll adaptive` (engines on the other CPU) and `up --poll "
            "busy --cpus` (a CPU per host engine, the generator sharing the client host's); "
            "null: the same topology and ports with the engines replaced by a forwarder "
            "that does no packet work (bench/nullfwd.py: the I/O ceiling); kernel: VXLAN + "
            "nftables conntrack; ovs: Open vSwitch userspace datapath with VXLAN + conntrack "
            "(bench/anchors).", "",
            *_table(("datapath", "delivered pps", "offered pps", "loss", "RTT p50 µs",
                     "RTT p99 µs", "pps samples"), rows), ""]


def _memory_and_flood(r: dict[str, Any]) -> list[str]:
    m, f = r.get("memory") or {}, r.get("flood") or {}
    arrays = m.get("array_bytes_per_connection")
    lines = ["## (e) Memory per tracked connection", "",
             f"{m.get('connections', 0):,} UDP connections created through "
             f"`ConntrackTable.create` in {m.get('create_s', 0):.1f} s "
             f"({m.get('creates_per_s', 0):,.0f}/s, slowed by tracemalloc tracing every "
             "allocation). Held after creation: "
             f"**{m.get('bytes_per_connection', 0):.0f} B** per connection by tracemalloc "
             f"(the figure: everything allocated for the table, numpy buffers included, "
             f"nothing else); arrays' own count {arrays or 0:.0f} B; RSS growth "
             f"{m.get('rss_bytes_per_connection', 0):.0f} B (measured in a fresh interpreter; adds "
             "allocator slack and the pages numpy touched while growing the arrays).", "",
             "## Bad input: SYN flood against established flows", ""]
    if not f:
        return [*lines, "Not measured.", ""]
    lines += [f"{f['established_flows']:,} established UDP flows; a conntrack capacity of "
              f"{f['capacity']:,} per ENI; {f['flood_packets']:,} TCP SYNs with random source "
              "and open destination ports, interleaved 1:1 with established packets through "
              "`process_vm_batch` as fast as the engine takes them.", "",
              *_table(("established alone", "established during flood", "kept", "lost",
                       "flood handled", "tracked after", "refused (counter)",
                       "flow cache", "RSS growth 1st / 2nd half"),
                      [(f"{f['established_alone_pps']:,.0f} pps",
                        f"{f['established_during_flood_pps']:,.0f} pps",
                        f"{f['established_share_kept']:.0%}", f["established_lost"],
                        f"{f['flood_pps']:,.0f} pps", f"{f['tracked_after']:,}",
                        f"{f['refused_new_connections']:,}", f"{f['flow_cache_entries']:,}",
                        f"{f['rss_growth_first_half_bytes'] / 2**20:.1f} / "
                        f"{f['rss_growth_second_half_bytes'] / 2**20:.1f} MiB")]), "",
              _flood_verdict(f), ""]
    return lines


def _flood_verdict(f: dict[str, Any]) -> str:
    lost = f["established_lost"]
    bounded = f["rss_growth_second_half_bytes"] == 0
    return (f"{'No' if not lost else f'{lost:,}'} established packet"
            f"{'' if lost == 1 else 's'} dropped; the table stopped at its capacity "
            f"({f['tracked_after']:,}) and refused the rest with the counter "
            f"(`conntrack_allowance_exceeded`); memory "
            f"{'did not grow' if bounded else 'still grew'} in the second half. Refusals "
            "are decided in the admission kernels (a full ENI is swept where the slow path "
            "would sweep it, then refused without Python), so established traffic keeps "
            f"{f['established_share_kept']:.0%} of its rate alone while the core also takes "
            f"{f['flood_pps']:,.0f} flood packets/s (both through the engine's list API).")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _hostile(r: dict[str, Any]) -> list[str]:
    h = (r.get("figures") or {}).get("hostile")
    lines = ["## (f) Hostile neighbour: a connection flood beside bystanders", ""]
    if not h:
        return [*lines, "Not measured (needs root).", ""]
    rows = [("idle", "–", _ms(h["idle_ping_p50_ms"]), _ms(h["idle_ping_p99_ms"]), "–",
             f"{h['idle_connects_ok']} / 0", "–", "–", "–", "–", "–", "–")]
    for f in h["floods"]:
        rate = "full speed" if f["rate_pps"] is None else f"{f['rate_pps']:,.0f}/s"
        growth = " / ".join(f"{v / 2**20:+.1f}" for v in f["rss_growth_bytes"].values())
        rows.append((rate, f"{f['offered_pps'] or 0:,.0f}/s", _ms(f["ping_p50_ms"]),
                     _ms(f["ping_p99_ms"]), f"{f['ping_loss']:.0%}",
                     f"{f['connects_ok']} / {f['connects_failed']}",
                     f"{'yes' if f['established_flowing'] else 'NO'} "
                     f"({_ms(f['established_max_gap_ms'])} ms)",
                     _count(f["new_flows_admitted_at_sender"]),
                     f"{_count(f['refused_at_sender'])} / {_count(f['refused_at_receiver'])}",
                     f"{growth} MiB", _holds(f), "yes" if f["fair"] else "NO"))
    return [*lines,
            "`smartnic up` of two hosts: host-1 runs the flooder and bystander quiet-1, "
            "host-2 the flood's target and bystander quiet-2 (bench/hostile.py). The flooder "
            "sends TCP SYNs to the target, a new source port each, from the TX-ring "
            "generator (bench/txring.py --new-flows); meanwhile quiet-2 pings quiet-1 "
            "(10 ms apart, across both engines) and opens new TCP connections to it, and "
            "two established flows (flooder → target, quiet-1 → quiet-2) echo 64 bytes "
            "every 20 ms. Fair: ping p99 ≤ 2× idle and ≤ 10 ms with no loss, every "
            "connection opened, both established flows flowing, engines alive. Loop held: "
            "how often an engine's loop was busy with one thing (a round of batches, a "
            "flow-log slice, ...) for over 10 and 100 ms during the flood (`smartnic "
            "counters`, loop).", "",
            *_table(("flood", "offered", "ping p50 ms", "ping p99 ms", "loss",
                     "connects ok / failed", "established flowing (longest gap)",
                     "admitted at sender", "refused at sender / receiver",
                     "engine RSS change (host-1 / host-2)",
                     "loop held > 10 / > 100 ms (host-1; host-2)", "fair"), rows), ""]


def _holds(flood: dict[str, Any]) -> str:
    over_10, over_100 = flood.get("loop_holds_over_10ms"), flood.get("loop_holds_over_100ms")
    if not over_10 or not over_100:
        return "–"
    return "; ".join(f"{over_10[host]} / {over_100.get(host, 0)}" for host in sorted(over_10))


def _profile(title: str, p: dict[str, Any] | None) -> list[str]:
    if not p:
        return [f"### {title}", "", "Not profiled.", ""]
    stages = [(name, f"{share:.0%}") for name, share in p["stages"].items()]
    top = [(e["function"], f"{e['calls']:,}", f"{e['own_share']:.0%}",
            f"{e['cumulative_share']:.0%}") for e in p["top_own"]]
    lead = p["top_own"][0] if p["top_own"] else None
    dominated = ", ".join(f"{name} {share}" for name, share in stages[:3])
    summary = (f"Dominated by: {dominated or '–'} of the time (cumulative, stages overlap); "
               f"most own time in {lead['function']} ({lead['own_share']:.0%})." if lead else "")
    source = f" Datapath: {p['datapath']}." if p.get("datapath") else ""
    return [f"### {title}", "", summary + source, "",
            *_table(("stage", "share (cumulative)"), stages), "",
            *_table(("function", "calls", "own time", "cumulative"), top), ""]


def _kernels(k: dict[str, Any] | None) -> list[str]:
    """Inside the kernels, which cProfile sees as single calls (bench.kernels)."""
    if not k:
        return ["### Inside the hit kernels", "", "Not measured.", ""]
    rows = [(name, f"{k[name]['classify_ns']:.1f}", f"{k[name]['replay_and_rest_ns']:.1f}",
             f"{k[name]['process_ns']:.1f}", f"{k[name]['mpps']:.2f}")
            for name in ("encap", "decap")]
    return ["### Inside the hit kernels", "",
            f"ns per 64 B packet, {k['flows']:,} flows, batches of 1024 (median of passes). "
            "Classify: frames into key columns (the decap side parses and checks the outer "
            "Ethernet/IPv4/UDP/VXLAN headers and runs the intake checks before parsing the "
            "inner packet); replay: flow lookup, conntrack update, rewrite or "
            "encapsulation into the output arena, counters.", "",
            *_table(("direction", "classify", "replay + rest", "whole process()", "Mpps"),
                    rows), ""]


def render(r: dict[str, Any], previous: dict[str, Any] | None,
           commits: list[str] | None = None) -> str:
    m = r["machine"]
    lines = ["# Benchmarks", "",
             f"Written by `make bench` (`smartnic bench`) on {m['date']}; every figure and "
             "ratio below comes from that one run (medians; the machine is shared).", "",
             *_machine(r), *_summary(r), *_hits(r), *_slowpath(r), *_e2e(r), *tcp_section(r),
             *_memory_and_flood(r), *_hostile(r), "## Profiles (cProfile)", "",
             *_profile("Slow path (new connections, both engines)", r.get("profile_slowpath")),
             *_profile("Flow-cache hits (encap + decap)", r.get("profile_hits")),
             *_kernels(r.get("kernels")),
             "## What changed", "", *[f"- {c}" for c in changes(r, previous, commits or [])],
             ""]
    if r.get("errors"):
        lines += ["## Steps that failed", "",
                  *[f"- {k}: {v.splitlines()[0]}" for k, v in r["errors"].items()], ""]
    embedded = dict(r["figures"], commit=m["git"])
    lines.append(f"<!-- {FIGURES_MARK} {json.dumps(embedded, sort_keys=True)} -->")
    return "\n".join(lines) + "\n"


def previous_figures(text: str) -> dict[str, Any] | None:
    found = re.search(rf"<!-- {FIGURES_MARK} (\{{.*\}}) -->", text)
    return json.loads(found.group(1)) if found else None


def write(results: dict[str, Any], path: Path = DOC) -> Path:
    previous = previous_figures(path.read_text()) if path.exists() else None
    commits = code_changes(previous.get("commit") if previous else None)
    path.write_text(render(results, previous, commits))
    return path
