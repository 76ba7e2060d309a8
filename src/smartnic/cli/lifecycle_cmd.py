"""`smartnic up | down | status | counters | engine`: real namespaces and supervised engines.

Every command checks `--name` with one function (net/linux/names.check_prefix) and
answers any problem with one line on stderr, never a traceback. Exit status: 0 done
(`status`: the supervisor and every engine running; `counters`: every engine answered);
1 the machine or the topology is not as it should be (`up` failed and was rolled back, an
engine not running or not answering, a damaged topology, not root); 2 the command was
wrong: an invalid name, a bad or missing config, no topology by that name, a name that is
already up; 130 interrupted (`up` removes what it made first).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from smartnic.cli.common import console, err_console
from smartnic.model import ConfigError
from smartnic.net.linux import TopologyExists, prefix_for
from smartnic.runtime import orchestrate as orch
from smartnic.runtime.polling import EnginePlacement, cpu_list, poll_mode
from smartnic.runtime.supervision import unsupervised_engine

NAME_HELP = "topology name: 2-8 lower-case letters or digits (default: from the config path)"
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int) -> NoReturn:
    line = " ".join(str(message).split())
    err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def _warn(message: str) -> None:
    err_console.print(f"[yellow]{escape(' '.join(message.split()))}[/]", soft_wrap=True,
                      highlight=False)


@contextmanager
def _one_line_errors(command: str) -> Iterator[None]:
    """Known failures of a lifecycle command as one line and an exit status."""
    try:
        yield
    except ConfigError as error:
        _fail(f"config refused: {error}", EXIT_USAGE)
    except (ValueError, orch.NoSuchTopology, TopologyExists) as error:
        _fail(str(error), EXIT_USAGE)
    except (orch.UpError, orch.BrokenTopology, OSError) as error:
        _fail(f"{command} failed: {error}", EXIT_UNHEALTHY)
    except KeyboardInterrupt:
        _fail(f"{command} interrupted", EXIT_INTERRUPTED)


def _require_root() -> None:
    if os.geteuid() != 0:
        _fail("needs root (network namespaces and AF_PACKET sockets)", EXIT_UNHEALTHY)


def _existing(config: Path | None, name: str | None) -> orch.Topology:
    """The topology named by --name or the config path, or the only one up."""
    if name is not None or config is not None:
        return orch.topology(name if name is not None else prefix_for(config or "")).require()
    found = orch.known_topologies()
    if not found:
        raise orch.NoSuchTopology("no topology is up")
    if len(found) > 1:
        names = ", ".join(t.prefix for t in found)
        raise ValueError(f"{len(found)} topologies are up ({names}): name one with --name")
    return found[0]


def up(config: Path = typer.Argument(..., help="YAML config or AWS JSON directory"),
       name: str | None = typer.Option(None, "--name", help=NAME_HELP),
       flowlogs: Path = typer.Option(Path("out/flowlogs"), "--flowlogs",
                                     help="where engines deliver flow-log files"),
       underlay: str = typer.Option(orch.DEFAULT_UNDERLAY, "--underlay",
                                    help="afpacket (rings: no UDP stack on the way) or udp "
                                         "(a socket, a batch per system call)"),
       poll: str = typer.Option("interrupt", "--poll",
                                help="how host engines wait for frames: interrupt (sleep "
                                     "in poll(2)), adaptive (spin 1 ms after traffic, then "
                                     "sleep) or busy (spin; give each engine its own core)"),
       cpus: str | None = typer.Option(None, "--cpus",
                                       help="CPUs for the engines, e.g. 0,1 or 0-3: one "
                                            "each, round-robin in host order")) -> None:
    """Build namespaces for hosts, VMs, edge and internet; start the engines under a
    supervisor that restarts crashed ones."""
    with _one_line_errors("up"):
        prefix = name if name is not None else prefix_for(config)
        placement = EnginePlacement(
            poll_mode(poll), cpu_list(cpus, os.sched_getaffinity(0)) if cpus else [])
        orch.check_up(config, prefix, underlay_mode=underlay)
        _require_root()
        topo = orch.up(config, prefix, flowlogs, underlay_mode=underlay, placement=placement)
        report = orch.status(topo)
    _print_status(report)


def down(config: Path | None = typer.Argument(None, help="the config `up` was given"),
         name: str | None = typer.Option(None, "--name", help=NAME_HELP)) -> None:
    """Stop the supervisor and the engines, remove everything `up` made (also after a
    crash)."""
    with _one_line_errors("down"):
        named = name is not None or config is not None
        targets = [_existing(config, name)] if named else orch.known_topologies()
        if not targets:
            console.print("no topology is up: nothing to remove")
            return
        _require_root()
        for topo in targets:
            removed = orch.down(topo)
            console.print(f"{topo.prefix}: removed {len(removed)} objects")


def status(config: Path | None = typer.Argument(None),
           name: str | None = typer.Option(None, "--name", help=NAME_HELP),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Hosts, VMs and engines (restarts, last exit) of a topology; exit 1 when an engine
    or the supervisor is not running."""
    with _one_line_errors("status"):
        report = orch.status(_existing(config, name))
    if as_json:
        console.print_json(json.dumps(report))
    else:
        _print_status(report)
    problems = orch.unhealthy(report)
    for line in problems:
        _warn(line)
    if problems:
        raise typer.Exit(EXIT_UNHEALTHY)


def counters(config: Path | None = typer.Argument(None),
             name: str | None = typer.Option(None, "--name", help=NAME_HELP),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Live per-ENI, per-stage counters and drop reasons; exit 1 when an engine does not
    answer."""
    with _one_line_errors("counters"):
        report = orch.counters(_existing(config, name))
    if as_json:
        console.print_json(json.dumps(report))
    else:
        _print_counters(report)
    silent = [f"engine {engine}: {reply['error']}" for engine, reply in report.items()
              if "error" in reply]
    for line in silent:
        _warn(line)
    if silent:
        raise typer.Exit(EXIT_UNHEALTHY)


def engine(spec: Path = typer.Option(..., "--spec", help="engine spec written by `up`")) -> None:
    """Run one engine process (started by the topology's supervisor, inside its namespace)."""
    refusal = unsupervised_engine(spec)
    if refusal:
        _fail(f"engine refused: {refusal}", EXIT_USAGE)
    from smartnic.runtime.main import run_engine

    run_engine(spec)


def _print_counters(report: dict[str, Any]) -> None:
    table = Table(title="counters", title_justify="left")
    for column in ("engine", "eni", "counter", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for engine_name, reply in report.items():
        for scope, values in _counter_scopes(reply):
            for counter, value in sorted(values.items()):
                table.add_row(engine_name, scope, counter, str(value))
    console.print(table)


def _counter_scopes(reply: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Per ENI (or the engine's own), then the fast path's, each port's and the loop's."""
    scopes = list((reply.get("enis") or {"-": reply.get("engine", {})}).items())
    if reply.get("fastpath"):
        scopes.append(("fast path", reply["fastpath"]))
    scopes += [(f"port {name}", stats) for name, stats in (reply.get("ports") or {}).items()]
    if reply.get("loop"):
        loop = reply["loop"]
        held = {f"{phase} {figure}": value for phase, figures in loop.get("held", {}).items()
                for figure, value in figures.items()}
        scopes.append(("loop", {"passes": loop.get("passes"), "sleeps": loop.get("sleeps"),
                                **held}))
    return scopes


def _engine_cell(engine: dict[str, Any]) -> str:
    colour = "green" if engine["engine_state"] == "running" and engine["engine_alive"] else "red"
    return f"pid {engine['engine_pid']} [{colour}]{escape(orch.describe(engine))}[/]"


def _polling_cell(engine: dict[str, Any]) -> str:
    if "poll" not in engine:
        return ""
    cpus = ",".join(map(str, engine.get("cpus") or []))
    return engine["poll"] + (f" on CPU {cpus}" if cpus else "")


def _print_status(report: dict[str, Any]) -> None:
    supervisor = report["supervisor"]
    running = "[green]running[/]" if supervisor["running"] else "[red]not running[/]"
    table = Table(title=f"topology {report['prefix']} (supervisor pid {supervisor['pid']} "
                        f"{running})", title_justify="left")
    for column in ("host", "namespace", "underlay", "engine", "polling", "restarts",
                   "last exit"):
        table.add_column(column)
    rows = [(h["id"], h) for h in report["hosts"]] + [("edge", report["edge"])]
    for host_id, host in rows:
        if host.get("kind") == "kernel":
            table.add_row(host_id, host["netns"], host["underlay_ip"], "kernel VXLAN", "", "",
                          "")
            continue
        table.add_row(host_id, host["netns"], host["underlay_ip"], _engine_cell(host),
                      _polling_cell(host), str(host["restarts"]), host["last_exit"] or "")
    console.print(table)
    vms = Table(title="VMs", title_justify="left")
    for column in ("eni", "namespace", "host", "addresses"):
        vms.add_column(column)
    for vm in report["vms"]:
        vms.add_row(vm["eni"], vm["netns"], vm["host"], ", ".join(vm["ips"]))
    console.print(vms)
