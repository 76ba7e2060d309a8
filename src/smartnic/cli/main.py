"""`smartnic` command line: trace, scenarios, flowlogs, validate, demo, up/down/status.

Bad input never ends in a Python traceback: commands refuse what they know is wrong with
one line naming what and where (`cli.common.fail`, exit 2); usage errors (unknown option,
wrong type) are one line too when stderr is not a terminal; and `run` is the last resort:
any other exception prints `error: unexpected <type>: <message>` and exits 2
(`SMARTNIC_DEBUG=1` prints the traceback first, for developers).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from smartnic.cli import (
    bench_cmd,
    demo_cmd,
    flowlogs_cmd,
    lifecycle_cmd,
    scenarios_cmd,
    trace_cmd,
    validate_cmd,
)
from smartnic.cli.common import USAGE_EXIT, print_error
from smartnic.model import ConfigError
from smartnic.model.source import SourceError
from smartnic.scenarios.sends import SendError

PROG_NAME = "smartnic"
DEBUG_VARIABLE = "SMARTNIC_DEBUG"
CATCH_ALL_TEXT = "error: unexpected "  # tests fail when a known bad input reaches it
ABORTED_EXIT = 1


class _GuardedTyper(typer.Typer):
    """The `smartnic` script calls the app: route it through `run`, the guarded entry."""

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        sys.exit(run())


app = _GuardedTyper(
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


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on `argv` (default: sys.argv[1:]); return the exit status."""
    command = typer.main.get_command(app)
    try:
        status = command.main(args=argv, prog_name=PROG_NAME, standalone_mode=False)
    except NoArgsIsHelpError:
        return USAGE_EXIT  # the help has been printed
    except UsageError as error:
        _usage_error(error)
        return error.exit_code
    except ClickException as error:
        print_error(error.format_message())
        return error.exit_code
    except typer.Abort:
        print_error("aborted")
        return ABORTED_EXIT
    except (ConfigError, SourceError, SendError) as error:  # raised outside a command's care
        print_error(str(error), "config refused" if isinstance(error, ConfigError) else "error")
        return USAGE_EXIT
    except Exception as error:  # the last resort: one line, never a traceback
        if os.environ.get(DEBUG_VARIABLE) == "1":
            traceback.print_exc()
        print_error(f"unexpected {type(error).__name__}: {error} "
                    f"({DEBUG_VARIABLE}=1 shows the traceback)")
        return USAGE_EXIT
    return status if isinstance(status, int) else 0


def _usage_error(error: UsageError) -> None:
    """typer's framed message on a terminal; one line for scripts and logs."""
    if sys.stderr.isatty():
        from typer import rich_utils

        rich_utils.rich_format_error(error)
        return
    where = error.ctx.command_path if error.ctx is not None else PROG_NAME
    print_error(f"{where}: {error.format_message()} (see {where} --help)")


if __name__ == "__main__":
    app()
