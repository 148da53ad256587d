"""CLI command: map (to be completed)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `map` command to the CLI."""
