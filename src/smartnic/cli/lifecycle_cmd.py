"""`smartnic up | down | status | counters | engine`: real namespaces and engine processes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.table import Table

from smartnic.cli.common import CONFIG_ERROR_EXIT, console, err_console
from smartnic.model import ConfigError
from smartnic.net.linux import TopologyExists, prefix_for
from smartnic.runtime import orchestrate as orch

NAME_HELP = "topology name (default: derived from the config path)"


def _require_root() -> None:
    if os.geteuid() != 0:
        err_console.print("[bold red]needs root[/] (network namespaces and AF_PACKET sockets)")
        raise typer.Exit(1)


def _pick(config: Path | None, name: str | None) -> orch.Topology:
    if name or config:
        return orch.topology(name or prefix_for(config or ""))
    found = orch.known_topologies()
    if len(found) != 1:
        err_console.print(f"[bold red]{len(found)} topologies are up; name one with --name[/]")
        raise typer.Exit(1)
    return found[0]


def up(config: Path = typer.Argument(..., help="YAML config or AWS JSON directory"),
       name: str | None = typer.Option(None, "--name", help=NAME_HELP),
       flowlogs: Path = typer.Option(Path("out/flowlogs"), "--flowlogs",
                                     help="where engines deliver flow-log files"),
       underlay: str = typer.Option("udp", "--underlay",
                                    help="udp (a socket) or afpacket (rings, no syscall "
                                         "per packet)")) -> None:
    """Build namespaces for hosts, VMs, edge and internet; start one engine per host."""
    _require_root()
    prefix = name or prefix_for(config)
    try:
        topo = orch.up(config, prefix, flowlogs, underlay_mode=underlay)
    except ConfigError as error:
        err_console.print(f"[bold red]config refused:[/] {error}")
        raise typer.Exit(CONFIG_ERROR_EXIT) from error
    except TopologyExists as error:
        err_console.print(f"[bold red]{error}[/]")
        raise typer.Exit(1) from error
    except orch.UpError as error:
        err_console.print(f"[bold red]up failed:[/] {error}")
        raise typer.Exit(1) from error
    _print_status(orch.status(topo))


def down(config: Path | None = typer.Argument(None, help="the config `up` was given"),
         name: str | None = typer.Option(None, "--name", help=NAME_HELP)) -> None:
    """Stop the engines and remove everything `up` made (also after a crash)."""
    _require_root()
    targets = [_pick(config, name)] if (config or name) else orch.known_topologies()
    for topo in targets:
        removed = orch.down(topo)
        console.print(f"{topo.prefix}: removed {len(removed)} objects")


def status(config: Path | None = typer.Argument(None),
           name: str | None = typer.Option(None, "--name", help=NAME_HELP),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """Hosts, VMs and engines of a running topology."""
    report = orch.status(_pick(config, name))
    if as_json:
        console.print_json(json.dumps(report))
    else:
        _print_status(report)


def counters(config: Path | None = typer.Argument(None),
             name: str | None = typer.Option(None, "--name", help=NAME_HELP),
             as_json: bool = typer.Option(False, "--json")) -> None:
    """Live per-ENI, per-stage counters and drop reasons from the running engines."""
    report = orch.counters(_pick(config, name))
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table(title="counters", title_justify="left")
    for column in ("engine", "eni", "counter", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for engine, reply in report.items():
        for eni, values in (reply.get("enis") or {"-": reply.get("engine", {})}).items():
            for counter, value in sorted(values.items()):
                table.add_row(engine, eni, counter, str(value))
    console.print(table)


def engine(spec: Path = typer.Option(..., "--spec", help="engine spec written by `up`")) -> None:
    """Run one engine process (started by `up` inside its namespace)."""
    from smartnic.runtime.main import run_engine

    run_engine(spec)


def _print_status(report: dict) -> None:  # type: ignore[type-arg]
    table = Table(title=f"topology {report['prefix']}", title_justify="left")
    for column in ("host", "namespace", "underlay", "engine"):
        table.add_column(column)
    for host in report["hosts"]:
        pid = host["engine_pid"]
        state = "kernel VXLAN" if host["kind"] == "kernel" else (
            f"pid {pid} " + ("[green]running[/]" if host["engine_alive"] else "[red]dead[/]"))
        table.add_row(host["id"], host["netns"], host["underlay_ip"], state)
    edge = report["edge"]
    table.add_row("edge", edge["netns"], edge["underlay_ip"],
                  f"pid {edge['engine_pid']} " + ("[green]running[/]" if edge["engine_alive"]
                                                  else "[red]dead[/]"))
    console.print(table)
    vms = Table(title="VMs", title_justify="left")
    for column in ("eni", "namespace", "host", "addresses"):
        vms.add_column(column)
    for vm in report["vms"]:
        vms.add_row(vm["eni"], vm["netns"], vm["host"], ", ".join(vm["ips"]))
    console.print(vms)
