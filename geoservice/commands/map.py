"""CLI command: ``geoservice map`` — a standalone (offline) folium map of a QPV or the territory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the `map` command to the CLI."""
    from .common import make_settings, one_line_errors

    @app.command("map")
    @one_line_errors
    def map_command(
        output: Annotated[Path, typer.Option("-o", "--output", help="Fichier HTML à écrire")],
        qpv: Annotated[str | None, typer.Option("--qpv", help="Code QPV 2024 (ex. QN03107M) ; "
                                                "sans lui, tout le territoire")] = None,
        ring_m: Annotated[str | None, typer.Option(
            "--ring-m", help="Anneau autour du QPV, en mètres (0 à 5000)")] = None,
        tiles: Annotated[bool, typer.Option("--tiles/--no-tiles",
                                            help="Fond de carte (GEOSERVICE_TILES_URL)")] = True,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Écrit une carte HTML autonome (fonctionne hors ligne) d'un QPV, de son anneau,
        de l'ESS autour et des raisons de son score — ou de tout le territoire."""
        from ..analysis.service import AnalysisRequest
        from ..maps.report import report_map
        from ..read.model import load_store

        settings = make_settings(territoire=territoire)
        if not tiles:
            settings = settings.model_copy(update={"tiles_url": None})
        request = AnalysisRequest.parse(ring_m=ring_m, settings=settings)  # the one parse
        store = load_store(settings)
        html = report_map(store, settings, code_qp=qpv, request=request)
        output.write_text(html, encoding="utf-8")
        typer.echo(f"Carte écrite : {output} ({len(html.encode()) // 1024} Ko)", err=True)
