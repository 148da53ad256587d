"""Usage errors (unknown command or option, missing argument, bad value) as one French line
on stderr with where to find help, exit status 2, instead of Click's framed English box.

Typer ≥ 0.20 carries its own copy of Click (``typer._click``), older ones use Click itself:
the exception classes are found from the public ``typer.BadParameter``, and told apart by
name, so both work."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import typer

USAGE_STATUS = 2
_MRO = typer.BadParameter.__mro__
UsageError = next(cls for cls in _MRO if cls.__name__ == "UsageError")
ClickException = next(cls for cls in _MRO if cls.__name__ == "ClickException")
_NO_SUCH_COMMAND = re.compile(r"No such command '(?P<name>.+?)'\.(?: Did you mean (?P<alt>.+)\?)?$")


def _kind(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _suggest(possibilities: Sequence[str] | None) -> str:
    return f" (vouliez-vous dire {' ou '.join(possibilities)} ?)" if possibilities else ""


def _hint(exc: typer.BadParameter) -> str:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else exc.param_hint
        return " / ".join(hints)
    param = exc.param
    if param is None:
        return "un paramètre"
    if getattr(param, "param_type_name", "") == "argument":
        return (getattr(param, "metavar", None) or param.name or "").upper()
    return " / ".join(param.opts)


_REASONS = [  # the reasons Typer gives for a bad number, in French
    (re.compile(r"Input should be less than or equal to (\S+)"), r"doit être ≤ \1"),
    (re.compile(r"Input should be greater than or equal to (\S+)"), r"doit être ≥ \1"),
    (re.compile(r"Input should be less than (\S+)"), r"doit être < \1"),
    (re.compile(r"Input should be greater than (\S+)"), r"doit être > \1"),
    (re.compile(r"Input should be a valid integer.*"), "nombre entier attendu"),
    (re.compile(r"Input should be a valid number.*"), "nombre attendu"),
]


def _reason(message: str) -> str:
    for pattern, french in _REASONS:
        if pattern.fullmatch(message):
            return pattern.sub(french, message)
    return message


def usage_line(exc: Exception) -> str:
    """What went wrong, in French, on one line (Click's own words kept for the reason a
    value is bad, and for what is not recognised here)."""
    kind = _kind(exc)
    message = " ".join(exc.format_message().split())
    command = _NO_SUCH_COMMAND.match(message)
    if "NoSuchOption" in kind:
        what = f"option inconnue : {exc.option_name}{_suggest(exc.possibilities)}"
    elif command:
        alternatives = re.findall(r"'([^']+)'", command["alt"] or "")
        what = f"commande inconnue : {command['name']}{_suggest(alternatives)}"
    elif "MissingParameter" in kind:
        is_argument = (exc.param_type or getattr(exc.param, "param_type_name", "")) \
            == "argument"
        what = f"{'argument manquant' if is_argument else 'option manquante'} : {_hint(exc)}"
    elif "BadParameter" in kind:
        what = f"valeur invalide pour {_hint(exc)} : {_reason(exc.message)}"
    elif "BadOptionUsage" in kind and message.endswith("requires an argument."):
        what = f"l'option {exc.option_name} attend une valeur"
    else:
        what = message
    path = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "geoservice"
    return f"erreur : {what} — aide : {path} --help"


def run(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status."""
    try:
        result = app(args=list(sys.argv[1:] if args is None else args),
                     prog_name="geoservice", standalone_mode=False)
    except UsageError as exc:
        if "NoArgsIsHelpError" in _kind(exc):  # bare `geoservice data`: its help
            exc.show()
        else:
            typer.echo(usage_line(exc), err=True)
        return USAGE_STATUS
    except typer.Abort:
        typer.echo("interrompu", err=True)
        return 130
    except ClickException as exc:
        typer.echo(f"erreur : {' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    return result if isinstance(result, int) else 0
