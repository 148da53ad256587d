"""``geoservice backup FILE`` and ``geoservice restore FILE``: a consistent copy of the store
while the service serves (SQLite online backup, or pg_dump for PostGIS), and its restore
into an empty store (:mod:`geoservice.storage.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import make_settings, one_line_errors

Territoire = Annotated[str | None, typer.Option(help="Territoire servi")]


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} Mo".replace(".", ",")


def _seconds(value: float) -> str:
    return f"{value:.1f} s".replace(".", ",")


@one_line_errors
def backup_command(
    file: Annotated[Path, typer.Argument(help="Fichier de sauvegarde à écrire")],
    territoire: Territoire = None,
) -> None:
    """Sauvegarde le magasin pendant que le service tourne : l'état d'un instant, sans
    rien à moitié écrit (SQLite : copie en ligne ; PostGIS : pg_dump, format custom)."""
    from ..storage.backup import backup

    info = backup(make_settings(territoire=territoire), file)
    count = "" if info.features is None else f", {info.features} objet(s)"
    typer.echo(f"sauvegarde écrite : {info.path} ({_size(info.size)}{count}, "
               f"en {_seconds(info.seconds)})", err=True)


@one_line_errors
def restore_command(
    file: Annotated[Path, typer.Argument(help="Sauvegarde faite par « geoservice backup »")],
    force: Annotated[bool, typer.Option(
        "--force", help="Remplacer un magasin qui n'est pas vide")] = False,
    territoire: Territoire = None,
) -> None:
    """Restaure une sauvegarde dans un magasin vide (du même genre : SQLite ou PostGIS) ;
    --force remplace un magasin rempli. Arrêtez les réplicas avant de remplacer."""
    from ..storage.backup import restore

    info = restore(make_settings(territoire=territoire), file, force=force)
    typer.echo(f"magasin restauré depuis {info.path} : {info.features} objet(s), "
               f"en {_seconds(info.seconds)}", err=True)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
