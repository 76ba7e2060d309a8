"""`smartnic` command line: trace, scenarios, flowlogs, validate, demo, up/down/status."""

from __future__ import annotations

import typer

from smartnic.cli import (
    bench_cmd,
    demo_cmd,
    flowlogs_cmd,
    lifecycle_cmd,
    scenarios_cmd,
    trace_cmd,
    validate_cmd,
)

app = typer.Typer(
    help="smartnic: a VPC data plane with AWS semantics for a host co-processor.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
app.command("trace")(trace_cmd.trace)
app.command("validate")(validate_cmd.validate)
app.command("flowlogs")(flowlogs_cmd.flowlogs)
app.command("demo")(demo_cmd.demo)
app.command("bench")(bench_cmd.bench)
app.command("up")(lifecycle_cmd.up)
app.command("down")(lifecycle_cmd.down)
app.command("status")(lifecycle_cmd.status)
app.command("counters")(lifecycle_cmd.counters)
app.command("engine", hidden=True)(lifecycle_cmd.engine)
app.add_typer(scenarios_cmd.app, name="scenarios")


if __name__ == "__main__":
    app()
