"""CLI command ``geoservice import LAYER FILE``: the editors' CSV import, without a
server. It shows the rows to review and, with ``--apply``, applies the sure ones (rows to
review wait for an editor: the map's import screen or ``POST /api/imports/{id}/rows/N``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SHOWN = 200
"""Rows to review or rejected printed at most (the rest: the import's screen)."""


def register(app: typer.Typer) -> None:
    """Add the `import` command to the CLI."""
    from .common import make_settings, one_line_errors

    @app.command("import")
    @one_line_errors
    def import_csv(
        layer: Annotated[str, typer.Argument(help="Couche modifiable (ex. hebergement)")],
        file: Annotated[Path, typer.Argument(help="Fichier CSV (UTF-8, « , » ou « ; »)")],
        id_column: Annotated[str | None, typer.Option(
            "--id-column", help="Colonne de l'identifiant propre au fichier (mise à jour "
            "par cet identifiant quand le fichier est réimporté)")] = None,
        apply: Annotated[bool, typer.Option(
            "--apply", help="Appliquer les lignes sûres (sinon : essai, rien n'est écrit)")
        ] = False,
        source_name: Annotated[str | None, typer.Option(
            "--source", help="Nom de la source (par défaut : le nom du fichier)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Importe un CSV dans une couche : géocodage BAN des adresses, lignes sûres, à
        revoir ou rejetées ; --apply écrit les lignes sûres en un lot de modifications."""
        import getpass

        from ..auth.accounts import Caller
        from ..editing import Editing
        from ..errors import InvalidParameter
        from ..imports.geocoding import Thresholds
        from ..imports.service import Imports, summary
        from ..read.model import load_store
        from ..spatial.locator import locator_for
        from ..storage import open_store

        if not file.is_file():
            raise InvalidParameter(f"fichier introuvable : {file}")
        settings = make_settings(territoire=territoire)
        store = load_store(settings)
        storage = open_store(settings)
        try:
            editing = Editing(storage, store.layers, settings.territoire)
            locator = locator_for(store)
            service = Imports(editing, settings.ban_url,
                              Thresholds(settings.import_sure_score, settings.import_sure_gap),
                              tuple(store.territory.communes), locator.place)
            caller = Caller(f"cli:{getpass.getuser()}", "admin", via="cli")
            def progress(step: str, done: int, total: int) -> None:
                typer.echo(f"{step} : {done}/{total} ligne(s)", err=True)

            record = service.create(layer, file.name, file.read_bytes(), caller,
                                    id_column=id_column, source_name=source_name,
                                    progress=progress)
            counts = summary(record["payload"]["rows"])
            typer.echo(f"{file.name} → {layer} : {counts['sure']} sûre(s), "
                       f"{counts['review']} à revoir, {counts['rejected']} rejetée(s) "
                       f"(import {record['id']})")
            shown = 0
            for row in record["payload"]["rows"]:
                if row["status"] in ("review", "rejected") and shown < SHOWN:
                    what = "à revoir" if row["status"] == "review" else "rejetée"
                    typer.echo(f"  ligne {row['line']} ({what}) : "
                               + " ; ".join(row["problems"]))
                    shown += 1
            if counts["review"] + counts["rejected"] > shown:
                typer.echo(f"  … et {counts['review'] + counts['rejected'] - shown} autre(s) "
                           f"ligne(s) : GET /api/imports/{record['id']}?status=review")
            if apply and not counts["sure"]:
                typer.echo("rien de sûr à appliquer : les lignes à revoir attendent un "
                           f"éditeur (écran Imports, import {record['id']})")
            elif apply:
                done = service.apply(record["id"], caller)
                typer.echo(f"appliqué : {done['inserted']} ajouté(s), {done['updated']} mis "
                           f"à jour, {done['unchanged']} inchangé(s) (lot {done['changeset']})")
        finally:
            storage.close()
