"""CLI command ``geoservice export``: the writers of ``geoservice.read.export``, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the `export` command to the CLI."""
    from .common import make_settings, one_line_errors

    @app.command("export")
    @one_line_errors
    def export(
        layer: Annotated[str, typer.Argument(help="Identifiant de la couche (voir `layers`)")],
        output: Annotated[Path, typer.Option("-o", "--output", help="Fichier écrit")],
        fmt: Annotated[str, typer.Option(
            "-f", "--format", help="geojson, gpkg, csv, xlsx, ods ou shp (Shapefile zippé)")
        ] = "geojson",
        crs: Annotated[str | None, typer.Option(
            help="Système de coordonnées : CRS84 (défaut), EPSG:4326, EPSG:2154, EPSG:3857")
        ] = None,
        bbox: Annotated[str | None, typer.Option(
            help="Emprise ouest,sud,est,nord (dans --bbox-crs, CRS84 par défaut)")] = None,
        bbox_crs: Annotated[str | None, typer.Option(
            "--bbox-crs", help="Système de coordonnées de --bbox")] = None,
        excel: Annotated[bool, typer.Option(
            "--excel",
            help="CSV pour Excel en français : BOM UTF-8, « ; », virgule décimale, oui/non")
        ] = False,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Exporte une couche en GeoJSON, GeoPackage, CSV, XLSX, ODS ou Shapefile, avec ses
        métadonnées (dictionnaire des colonnes dans les tableurs et le Shapefile)."""
        from ..parsing import parse_bbox
        from ..read.crs import parse_crs
        from ..read.export import export_file
        from ..read.model import load_store

        output_crs = parse_crs(crs, "--crs")
        box = parse_bbox(bbox, parse_crs(bbox_crs, "--bbox-crs"))
        store = load_store(make_settings(territoire=territoire))
        collection = store.collection(layer)
        count = export_file(collection, fmt.lower(), output, output_crs, box, excel=excel)
        from ..read.export import is_stream

        sidecar = " (+ métadonnées dans .metadata.json)" \
            if fmt.lower() == "csv" and not is_stream(output) else ""
        typer.echo(f"{layer} : {count} objet(s) écrit(s) dans {output}{sidecar} "
                   f"({output_crs.code})", err=True)
