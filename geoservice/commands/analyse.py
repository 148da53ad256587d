"""CLI command ``geoservice analyse``: the underserved ranking, as a table or a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}


def register(app: typer.Typer) -> None:
    """Add the `analyse` command to the CLI."""
    from .common import make_settings, one_line_errors

    @app.command("analyse")
    @one_line_errors
    def analyse(
        defi: Annotated[str | None, typer.Option(
            help="Défi : inclusion, economie_circulaire, alimentation_durable (défaut : tous)")
        ] = None,
        ring_m: Annotated[str | None, typer.Option(
            "--ring-m", help="Anneau autour du QPV, en mètres (0 à 5000, défaut 500)")] = None,
        weights: Annotated[str | None, typer.Option(
            help="Poids, ex. need:2,answer:1,distance:1,access:0.5,demand:1")] = None,
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="rapport.csv (Excel-FR) ou rapport.geojson")] = None,
        include: Annotated[str | None, typer.Option(
            help="a_verifier : compter aussi les réponses encore à vérifier (données "
            "ouvertes importées)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Classe les QPV sous-desservis par l'ESS (score, composantes, raisons en clair)."""
        import json

        from ..analysis import diagnose, from_store, make_parameters
        from ..analysis.report import to_csv, to_geojson
        from ..errors import InvalidParameter
        from ..readmodel import load_store

        fmt = None
        if output is not None:
            fmt = FORMATS.get(output.suffix.lower())
            if fmt is None:
                raise InvalidParameter(
                    f"extension inconnue pour {output.name} : .csv ou .geojson attendu")
        settings = make_settings(territoire=territoire)
        params = make_parameters(defi, ring_m, weights, default_ring_m=settings.ring_m,
                                 include=include)
        result = diagnose(from_store(load_store(settings)), params)
        if output is None:
            _print_table(result)
            return
        if fmt == "csv":
            output.write_bytes(to_csv(result))
        else:
            output.write_text(json.dumps(to_geojson(result), ensure_ascii=False), "utf-8")
        typer.echo(f"{len(result.frame)} QPV écrits dans {output}", err=True)


def _print_table(result) -> None:  # noqa: ANN001 - Diagnostic, imported lazily
    from ..analysis.report import plain

    params = result.parameters
    typer.echo(f"Défi : {params.defi or 'tous'} — anneau {params.ring_m:g} m — poids "
               f"{result.weights_text}")
    for row in result.frame.to_dict("records"):
        rank = plain("rank", row["rank"])
        score = plain("score", row["score"])
        typer.echo(f"{rank if rank is not None else '—':>3}  {row['code_qp']}  "
                   f"{'—' if score is None else f'{score:6.2f}':>6}  {row['lib_qp']}")
        for reason in row["reasons"]:
            typer.echo(f"       · {reason}")
