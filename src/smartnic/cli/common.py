"""Shared CLI helpers: loading configs with errors that name object and field (exit 2)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from smartnic.model import ConfigError, load_config_file
from smartnic.model.config import Config

console = Console()
err_console = Console(stderr=True)
CONFIG_ERROR_EXIT = 2


def load_or_exit(path: Path) -> Config:
    try:
        return load_config_file(path)
    except ConfigError as error:
        err_console.print(f"[bold red]config refused:[/] {error}")
        raise typer.Exit(CONFIG_ERROR_EXIT) from error
    except OSError as error:
        err_console.print(f"[bold red]cannot read {path}:[/] {error}")
        raise typer.Exit(CONFIG_ERROR_EXIT) from error
