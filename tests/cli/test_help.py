"""Every command's help in French (issue 29): no English word of Typer's or Click's left,
no phrase cut by a line break in the list of commands."""

from __future__ import annotations

import re

import pytest
import typer

from geoservice.cli import app
from tests.cli.test_cli import run

ENGLISH = re.compile(
    r"\bUsage\b|Show this message|\bCommands\b|\[required\]|\[default|Install completion|"
    r"Show completion|<(?:int|str|float|bool|path|text|integer)>|\bTry\b|\bError\b|\bARGS\b|"
    r"\bCOMMAND\b|env var")


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(group, prefix: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            paths.append([*prefix, name])
            walk(command, [*prefix, name])

    walk(root, [])
    return paths


def test_every_command_is_listed():
    paths = {" ".join(p) for p in _command_paths()}
    assert {"", "serve", "export", "users add", "data pull", "db upgrade"} <= paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "geoservice")
def test_help_is_french(path):
    result = run(*path, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.replace("│", " ").split())  # the panels' wrapping undone
    assert "Utilisation : geoservice" in text
    assert "Affiche cette aide et quitte." in text
    english = ENGLISH.findall(text)
    assert not english, f"anglais dans l'aide de « {' '.join(path)} » : {english}\n{text}"


def test_a_command_description_is_not_cut_by_a_line_break():
    rows = [line.strip("│ ") for line in run("--help").stdout.splitlines()]
    bilan = rows.index(next(r for r in rows if r.startswith("bilan ")))
    # its docstring has a line break after « activités »: the panel wraps the phrase, it
    # does not keep that break (the line is filled before « lancées »)
    assert "activités lancées" in " ".join(rows[bilan:bilan + 3])
    assert not rows[bilan + 1].endswith("activités")
