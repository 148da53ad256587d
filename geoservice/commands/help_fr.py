"""The command line's own words in French: help panels, the usage line, the help option,
value types and markers (« [obligatoire] », « [défaut : …] »).

Typer and Click write these in English, in a few module constants and two methods; they are
replaced here, once, before the help is printed. ``tests/cli/test_help.py`` reads the help of
every command and fails on any English word left, so a Typer upgrade that renames one of
these is caught."""

from __future__ import annotations

import inspect
import re
from typing import Any

PANELS = {  # typer.rich_utils constants
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "DEFAULT_STRING": "[défaut : {}]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "DEPRECATED_STRING": "(obsolète) ",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Aide : [blue]'{command_path} {help_option}'[/]",
}
USAGE_PREFIX = "Utilisation : "
USAGE_PIECES = {"COMMAND [ARGS]...": "COMMANDE [ARGUMENTS]…", "[OPTIONS]": "[OPTIONS]"}
HELP_OPTION = "Affiche cette aide et quitte."
TYPES = {  # the type shown beside an option (``<int>``), Typer's or Click's spelling
    "str": "texte", "text": "texte", "int": "entier", "integer": "entier",
    "float": "nombre", "path": "chemin", "file": "fichier", "filename": "fichier",
    "directory": "dossier", "datetime": "date", "choice": "choix",
}
_TYPE = re.compile(r"[A-Za-z]+")


def french_type(shown: str | None) -> str | None:
    """``<int>`` → ``<entier>``; a flag's ``<bool>`` is not shown (a flag takes no value)."""
    if not shown or shown.strip("<>").lower() in {"bool", "boolean"}:
        return None
    return _TYPE.sub(lambda m: TYPES.get(m[0].lower(), m[0]), shown)


def frenchify() -> None:
    """Install the French words (idempotent)."""
    from typer import core, rich_utils

    if getattr(core, "_geoservice_french", False):
        return
    for name, text in PANELS.items():
        setattr(rich_utils, name, text)

    def format_usage(self: Any, ctx: Any, formatter: Any) -> None:
        pieces = " ".join(self.collect_usage_pieces(ctx))
        for english, french in USAGE_PIECES.items():
            pieces = pieces.replace(english, french)
        formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)

    command_help = getattr(rich_utils, "_make_command_help", None)
    if command_help is not None:  # a command's line in its group's list: one paragraph
        def make_command_help(*, help_text: str, **kwargs: Any) -> Any:
            first, _, rest = inspect.cleandoc(help_text).partition("\n\n")
            return command_help(help_text=" ".join(first.split()) + (
                "\n\n" + rest if rest else ""), **kwargs)

        rich_utils._make_command_help = make_command_help

    for cls in (core.TyperCommand, core.TyperGroup):
        original_help = cls.get_help_option

        def get_help_option(self: Any, ctx: Any, _original: Any = original_help) -> Any:
            option = _original(self, ctx)
            if option is not None:
                option.help = HELP_OPTION
            return option

        cls.get_help_option = get_help_option
        cls.format_usage = format_usage

    for cls in (core.TyperOption, core.TyperArgument):
        if cls.__dict__.get("metavar") is None and hasattr(cls, "display_type_rich"):
            original_type = cls.display_type_rich

            def display_type_rich(self: Any, ctx: Any, _original: Any = original_type) -> Any:
                return self.metavar if self.metavar is not None else french_type(
                    _original(self, ctx))

            cls.display_type_rich = display_type_rich
    core._geoservice_french = True
