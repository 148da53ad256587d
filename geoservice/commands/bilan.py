"""CLI command ``geoservice bilan``: the Fabrique à initiatives' figures of one year, the
same as ``GET /api/fabrique/bilan``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the `bilan` command to the CLI."""
    from .common import make_settings, one_line_errors

    @app.command("bilan")
    @one_line_errors
    def bilan_command(
        annee: Annotated[int, typer.Option("--annee", help="Année du bilan (AAAA)")],
        fmt: Annotated[str, typer.Option(
            "--format", help="texte (défaut), json, csv, xlsx ou ods (ces deux avec -o)")
        ] = "texte",
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="Fichier à écrire (sinon la sortie standard)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Bilan annuel de la Fabrique à initiatives : explorations, études, activités
        lancées, abandons, par QPV, lauréats, et la phrase du bilan."""
        import json

        from ..errors import InvalidParameter
        from ..fabrique.bilan import bilan, check_year, to_csv
        from ..read.model import build_snapshot
        from ..storage import open_store

        if fmt not in ("texte", "json", "csv", "xlsx", "ods"):
            raise InvalidParameter(f"--format : texte, json, csv, xlsx ou ods, pas « {fmt} »")
        if fmt in ("xlsx", "ods") and output is None:
            raise InvalidParameter(f"--format {fmt} écrit un classeur : donnez -o FICHIER")
        check_year(annee)
        settings = make_settings(territoire=territoire)
        storage = open_store(settings)
        try:
            figures = bilan(build_snapshot(settings, storage.features), annee,
                            storage.features)
        finally:
            storage.close()
        if fmt in ("xlsx", "ods") and output is not None:
            from ..fabrique.bilan import tables
            from ..sheets import workbook

            output.write_bytes(workbook(tables(figures), fmt))
            typer.echo(f"Bilan {annee} écrit dans {output}", err=True)
            return
        if fmt == "json":
            text = json.dumps(figures, ensure_ascii=False, indent=2) + "\n"
        elif fmt == "csv":
            text = to_csv(figures)
        else:
            text = _text(figures)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, "utf-8")
            typer.echo(f"Bilan {annee} écrit dans {output}", err=True)


def _text(figures: dict) -> str:
    lines = [figures["phrase"], ""]
    head = ("QPV", "repérés", "explor.", "études", "lancées", "abandons", "existantes")
    lines.append(f"{head[0]:<34}" + "".join(f"{h:>11}" for h in head[1:]))
    for row in figures["par_qpv"]:
        values = (row["besoins_reperes"], row["explorations"], row["etudes_opportunite"],
                  row["activites_lancees"], row["abandons"], row["reponses_existantes"])
        lines.append(f"{str(row['nom'])[:33]:<34}" + "".join(f"{v:>11}" for v in values))
    return "\n".join(lines) + "\n"
