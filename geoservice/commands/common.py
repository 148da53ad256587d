"""What every CLI command shares: settings from options, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import typer

from ..errors import GeoserviceError
from ..settings import Settings


def console() -> Any:
    """Where commands report progress (standard error): a line is never cut at the
    terminal's width (soft wrap: a phrase stays whole in a log or a pipe), no colouring of
    numbers by guess."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"erreur : {message}", err=True)
    raise typer.Exit(code)


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become one line on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GeoserviceError as exc:
            fail(exc.detail)
        except BrokenPipeError:  # `geoservice layers | head -1`: the reader left, say nothing
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            fail(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")

    return wrapper


def make_settings(**overrides: Any) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as exc:
        fail(f"configuration invalide : {_first_error(exc)}")
        raise  # unreachable


def _first_error(exc: ValueError) -> str:
    """The first problem of a settings validation error, naming its variable."""
    errors = exc.errors() if hasattr(exc, "errors") else []
    if not errors:
        return str(exc).splitlines()[0]
    first = errors[0]
    where = "_".join(str(p) for p in first.get("loc", ())).upper()
    message = str(first.get("msg", "")).removeprefix("Value error, ")
    return f"GEOSERVICE_{where} : {message}" if where else message
