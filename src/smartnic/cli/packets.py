"""The packets of `trace` and `flowlogs`: a `--packets` file or `trace`'s options, checked
before anything runs so a refusal names the step, its field and line (or the option).

A `--packets` file is a YAML (or JSON) list; each item is a `send` step of the scenario
schema, either `{send: {...}, at?: seconds}` or the send fields themselves (with `at?`).
Every send is built once against the compiled config (a dry run), so an unknown sender or
a length too small for the headers is refused here too, not half-way through the output:

    error: packets.yaml:7: send[1].dport: 70000 is out of range 0..65535
    error: --icmp-type: 300 is out of range 0..255
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from smartnic.cli.common import fail, kind_name
from smartnic.compiler.compile import compile_program
from smartnic.compiler.program import Program
from smartnic.model.config import Config
from smartnic.model.source import Document, SourceError, load_document
from smartnic.scenarios.sends import SendError, build_send, check_seconds, check_send

# trace's option for each send field, for messages
OPTION_OF_FIELD = {
    "from": "--from", "dst": "--dst", "src": "--src", "proto": "--proto", "sport": "--sport",
    "dport": "--dport", "flags": "--flags", "icmp_type": "--icmp-type",
    "icmp_code": "--icmp-code", "length": "--length",
}  # fmt: skip


def packets_from_file(path: Path, config: Config) -> list[dict[str, Any]]:
    try:
        document = load_document(path)
    except SourceError as error:
        fail(f"--packets {error}")
    items = document.data
    if not isinstance(items, list) or not items:
        fail(f"{document.where()}: expected a non-empty list of send steps, "
             f"got {kind_name(items)}")
    program = compile_program(config)
    for index, item in enumerate(items):
        _check_item(document, program, index, item)
    return items


def check_options(spec: dict[str, Any]) -> None:
    """The checks that need no config (ranges, types, address families)."""
    try:
        check_send(spec)
    except SendError as error:
        _fail_option(error)


def packet_from_options(spec: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    try:
        build_send(compile_program(config), spec)
    except SendError as error:
        _fail_option(error)
    return [spec]


def _fail_option(error: SendError) -> NoReturn:
    option = OPTION_OF_FIELD.get(error.field or "", error.field or "packet")
    fail(f"{option}: {error.message}")


def _check_item(document: Document, program: Program, index: int, item: Any) -> None:
    if not isinstance(item, dict):
        fail(f"{document.where((index,))}: send[{index}]: expected a mapping "
             f"(a send step), got {kind_name(item)}")
    nested = "send" in item
    spec = item["send"] if nested else item
    prefix: tuple[str | int, ...] = (index, "send") if nested else (index,)
    if not isinstance(spec, dict):
        fail(f"{document.where(prefix)}: send[{index}]: expected a mapping of "
             f"send fields, got {kind_name(spec)}")
    try:
        if item.get("at") is not None:
            check_seconds(item["at"], "at")
        build_send(program, spec)
    except SendError as error:
        field = error.field or ""
        where = document.where((index, "at") if field == "at" else (*prefix, field))
        fail(f"{where}: send[{index}]{'.' + field if field else ''}: "
             f"{error.message}")
