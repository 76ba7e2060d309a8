"""Shared CLI helpers: one-line refusals (exit 2) and loading configs that name object, field
and, for YAML/JSON files, the line (`config refused: cloud.yaml:14: eni-a.ips: …`)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from smartnic.model import ConfigError, load_config_file
from smartnic.model.config import Config

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one message, one line
USAGE_EXIT = 2  # every refusal of user input: options, configs, files
CONFIG_ERROR_EXIT = USAGE_EXIT
MAX_MESSAGE_CHARS = 2000
KIND_NAMES = {type(None): "nothing", bool: "true/false", int: "an integer", float: "a number",
              str: "a string"}


def kind_name(value: object) -> str:
    """What a value from a YAML/JSON file is, for messages: "a mapping", "an empty list"…"""
    if isinstance(value, dict | list):
        return f"{'a' if value else 'an empty'} {'mapping' if isinstance(value, dict) else 'list'}"
    return KIND_NAMES.get(type(value), f"a {type(value).__name__}")


def print_error(message: str, label: str = "error") -> None:
    """`label: message` as one line on stderr, whatever the message holds."""
    text = " ".join(message.split())
    if len(text) > MAX_MESSAGE_CHARS:  # the middle goes: the reason is at the end
        keep = MAX_MESSAGE_CHARS // 2
        text = f"{text[:keep]} …({len(text) - 2 * keep} characters)… {text[-keep:]}"
    err_console.print(f"[bold red]{escape(label)}:[/] {escape(text)}", soft_wrap=True,
                      highlight=False, emoji=False)


def os_reason(error: OSError, given: Path) -> str:
    """An OSError's reason, and the file it names when that is not the `given` one (a
    directory deep under it, say)."""
    reason = error.strerror or str(error)
    named = error.filename
    return f"{reason} ({named})" if named and str(named) != str(given) else reason


def fail(message: str, label: str = "error") -> NoReturn:
    """Refuse user input: one line on stderr, exit status 2."""
    print_error(message, label)
    raise typer.Exit(USAGE_EXIT)


def load_or_exit(path: Path) -> Config:
    try:
        return load_config_file(path)
    except ConfigError as error:
        fail(str(error), "config refused")
