"""CLI command: ``geoservice lookup IN.csv -o OUT.csv`` (batch QPV lookup, no server)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the `lookup` command to the CLI."""
    from .common import console, fail, make_settings, one_line_errors

    @app.command("lookup")
    @one_line_errors
    def lookup(
        source: Annotated[Path, typer.Argument(
            help="Fichier CSV (colonnes lon/lat ou longitude/latitude, « , » ou « ; ») "
                 "ou JSON (.json)", show_default=False)],
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="Fichier résultat (sortie standard si absent)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Ajoute à chaque ligne son QPV, sa commune et le QPV le plus proche (result_*)."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from ..read.model import load_store
        from ..spatial import locator_for
        from ..spatial.lookup import lookup_csv, lookup_json

        if not source.is_file():
            fail(f"fichier introuvable : {source}")
        if output is not None and output.exists() and output.resolve() == source.resolve():
            fail(f"le résultat écraserait le fichier lu ({source}) : choisissez un autre -o")
        data = source.read_bytes()
        settings = make_settings(territoire=territoire)
        locator = locator_for(load_store(settings))
        out = console()
        progress = Progress(TextColumn("Recherche des QPV"), BarColumn(), MofNCompleteColumn(),
                            console=out, transient=True)
        task = progress.add_task("lookup", total=None)

        def advance(done: int, total: int) -> None:
            """Shown from the first chunk on (the file is read and checked by then)."""
            if not progress.live.is_started and done < total:
                progress.start()
            progress.update(task, completed=done, total=total)

        try:
            if source.suffix.lower() == ".json":
                document, counts = lookup_json(locator, data, progress=advance)
                result = (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()
            else:
                result, counts = lookup_csv(locator, data, progress=advance)
        finally:
            progress.stop()
        if output is None:
            sys.stdout.buffer.write(result)
            sys.stdout.flush()
        else:
            output.write_bytes(result)
        total = sum(counts.values())
        out.print(f"{total} ligne(s) : {counts['in']} dans un QPV, {counts['out']} hors QPV, "
                      f"{counts['error']} en erreur" + (f" → {output}" if output else ""),
                      soft_wrap=True)
