"""CLI command: lookup (to be completed)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `lookup` command to the CLI."""
