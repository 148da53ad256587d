"""CLI command ``geoservice analyse``: the underserved ranking, as a table or a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

FORMATS = {".csv": "csv", ".geojson": "geojson", ".json": "geojson", ".xlsx": "xlsx",
           ".ods": "ods"}


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
            "-o", "--output",
            help="rapport.csv (Excel-FR), rapport.xlsx ou rapport.ods (avec le dictionnaire "
            "des colonnes) ou rapport.geojson")] = None,
        include: Annotated[str | None, typer.Option(
            help="a_verifier : compter aussi les réponses encore à vérifier (données "
            "ouvertes importées)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
        date: Annotated[str | None, typer.Option(
            "--date", help="AAAA-MM-JJ : le classement à cette date (lieux ouverts, besoins "
            "signalés et pas encore couverts ce jour-là ; docs/temps.md)")] = None,
    ) -> None:
        """Classe les QPV sous-desservis par l'ESS (score, composantes, raisons en clair)."""
        import json

        from ..analysis.report import to_csv, to_geojson
        from ..analysis.service import AnalysisRequest, dating, run
        from ..errors import InvalidParameter
        from ..read.model import load_store

        fmt = None
        if output is not None:
            fmt = FORMATS.get(output.suffix.lower())
            if fmt is None:
                raise InvalidParameter(
                    f"extension inconnue pour {output.name} : .csv, .xlsx, .ods ou .geojson "
                    "attendu")
        settings = make_settings(territoire=territoire)
        request = AnalysisRequest.parse(defi=defi, ring_m=ring_m, weights=weights,
                                        include=include, settings=settings, day=date)
        store = load_store(settings)
        result = run(store, request)
        if output is None:
            if request.day is not None:
                facts = dating(store, request)
                typer.echo(f"Au {request.day.strftime('%d/%m/%Y')} : "
                           f"{facts['answers']['dated']} réponses datées, "
                           f"{facts['answers']['undated']} sans date (statut actuel)")
            _print_table(result)
            return
        if fmt == "csv":
            output.write_bytes(to_csv(result))
        elif fmt in ("xlsx", "ods"):
            from ..analysis.service import collection
            from ..read.export import to_sheet

            layer = collection(store, request)
            output.write_bytes(to_sheet(layer, range(len(layer)), fmt))
        else:
            output.write_text(json.dumps(to_geojson(result), ensure_ascii=False), "utf-8")
        typer.echo(f"{len(result.frame)} QPV écrits dans {output}", err=True)


def _print_table(result) -> None:  # noqa: ANN001 - Diagnostic, imported lazily
    """What drives the ranking and the territory's notes first, then the QPV to document
    (unknown need, with their possible rank), then the ranked QPV with their rank range."""
    from ..analysis.params import COMPONENT_LABELS
    from ..analysis.report import to_document_first

    params = result.parameters
    typer.echo(f"Défi : {params.defi or 'tous'} — anneau {params.ring_m:g} m — poids "
               f"{result.weights_text}")
    effective = {k: v for k, v in result.effective_weights.items() if v}
    if effective:
        typer.echo("Ce qui fait le classement (part de l'écart des scores) : " + ", ".join(
            f"{COMPONENT_LABELS[k]} {round(100 * v)} %"
            for k, v in sorted(effective.items(), key=lambda kv: -kv[1])))
    for note in result.notes:
        typer.echo(f"  ! {note}")
    rows = result.frame.to_dict("records")
    unknown = to_document_first(rows)
    if unknown:
        typer.echo("À documenter en priorité (besoin inconnu, rang possible) :")
        for row in unknown:
            _print_row(row)
        typer.echo("Classement :")
    for row in rows:
        if row["need_known"]:
            _print_row(row)


def _print_row(row: dict) -> None:
    from ..analysis.report import plain

    rank, score = plain("rank", row["rank"]), plain("score", row["score"])
    best, worst = plain("rank", row["rank_best"]), plain("rank", row["rank_worst"])
    span = "" if best is None else (f"  rang possible {best}–{worst}" if best != worst
                                    else f"  rang possible {best}")
    label = f" ({row['robustness']})" if row["need_known"] and isinstance(
        row["robustness"], str) else ""
    typer.echo(f"{rank if rank is not None else '—':>3}  {row['code_qp']}  "
               f"{'—' if score is None else f'{score:6.2f}':>6}  {row['lib_qp']}{span}{label}")
    if isinstance(row.get("drivers"), str):
        typer.echo(f"       ↑ {row['drivers']}")
    for reason in row["reasons"]:
        typer.echo(f"       · {reason}")
