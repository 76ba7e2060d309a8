"""`smartnic validate CONFIG`: load and check a config; exit 2 naming object and field."""

from __future__ import annotations

from pathlib import Path

import typer

from smartnic.cli.common import console, load_or_exit


def validate(config: Path = typer.Argument(..., help="YAML config file or AWS JSON directory")
             ) -> None:
    """Check a config as the engine would load it."""
    loaded = load_or_exit(config)
    console.print(
        f"ok: {len(loaded.vpcs)} VPCs, {len(loaded.subnets)} subnets, "
        f"{len(loaded.security_groups)} security groups, {len(loaded.nacls)} NACLs, "
        f"{len(loaded.route_tables)} route tables, {len(loaded.enis)} ENIs on "
        f"{len(loaded.hosts)} hosts"
    )
