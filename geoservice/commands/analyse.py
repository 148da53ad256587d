"""CLI command: analyse (to be completed)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `analyse` command to the CLI."""
