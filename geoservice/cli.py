"""Command-line interface: the same functions as the API, without a server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .commands.common import console, make_settings, one_line_errors
from .commands.help_fr import frenchify
from .errors import GeoserviceError

frenchify()
app = typer.Typer(help="geoservice : ESS et QPV d'un Territoire French Impact.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
data_app = typer.Typer(help="Données : remplir le magasin, revenir à l'import précédent.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
db_app = typer.Typer(help="Base de données : schéma et migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@data_app.command("pull")
@one_line_errors
def data_pull(
    source: Annotated[
        Path | None, typer.Option("--from", help="Dossier miroir des données")
    ] = None,
    territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    allow_shrink: Annotated[bool, typer.Option(
        "--allow-shrink", help="Accepter qu'une couche de référence perde des objets")] = False,
) -> None:
    """Remplace les couches de référence depuis le miroir (--from DIR) ou les producteurs
    (internet), en une transaction ; les couches modifiables ne sont semées qu'une fois."""
    from .sources.pull import pull

    settings = make_settings(sources=str(source) if source else None, territoire=territoire)
    out = console()
    with out.status("Import des données…") as status:
        provenance = pull(settings, progress=lambda msg: status.update(f"Import : {msg}"),
                          allow_shrink=allow_shrink)
    for layer_id, record in provenance.items():
        extra = ""
        if "repaired" in record:
            extra = f", {record['repaired']} géométrie(s) réparée(s)"
        if "line" in record:
            out.print(f"  {layer_id:<15} {record['line']}")
            continue
        out.print(f"  {layer_id:<15} {record['feature_count']:>5} objet(s){extra}")
    out.print(f"Magasin écrit : {settings.database_url and 'PostGIS' or settings.store_path}")


@data_app.command("rollback")
@one_line_errors
def data_rollback(territoire: Annotated[str | None, typer.Option()] = None) -> None:
    """Remet les couches de référence de l'import précédent (les couches modifiables ne
    bougent pas) ; relancé, revient à l'import le plus récent."""
    from .sources.pull import rollback

    revisions = rollback(make_settings(territoire=territoire))
    typer.echo("Couches restaurées : " + ", ".join(sorted(revisions)), err=True)


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(territoire: Annotated[str | None, typer.Option()] = None) -> None:
    """Crée ou met à jour le schéma du magasin (SQLite embarqué ou PostGIS)."""
    from .storage import open_store

    storage = open_store(make_settings(territoire=territoire), create=True)
    try:
        applied = storage.upgrade()
        typer.echo(f"{storage.description} : " + (
            f"migration(s) appliquée(s) : {', '.join(map(str, applied))}" if applied
            else "schéma à jour"), err=True)
    finally:
        storage.close()


@app.command("layers")
@one_line_errors
def layers(territoire: Annotated[str | None, typer.Option()] = None) -> None:
    """Liste les couches : nombre d'objets, millésime, source et licence."""
    from .read.model import load_store

    store = load_store(make_settings(territoire=territoire))
    typer.echo(f"Territoire : {store.territory.nom} (EPCI {store.territory.epci})")
    for collection in store.collections.values():
        layer = collection.layer
        origins = ", ".join(Path(s["origin"]).name for s in
                            collection.provenance.get("sources", [])) or "—"
        typer.echo(f"{layer.id:<15} {len(collection):>5}  millésime {layer.vintage:<12} "
                   f"{layer.licence:<20} source : {layer.publisher} [{origins}]")


@app.command("validate")
def validate(
    layers_dir: Annotated[Path | None, typer.Option(help="Dossier des couches")] = None,
) -> None:
    """Vérifie chaque fichier de couche et chaque objet rédigé par le projet."""
    from .catalog import validate_repo

    settings = make_settings(layers_dir=layers_dir)
    try:
        problems = validate_repo(settings.layers_dir)
    except GeoserviceError as exc:
        problems = [exc.detail]
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{settings.layers_dir} : couches valides")


def _check_port_free(host: str, port: int) -> None:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise GeoserviceError(
                f"impossible d'écouter sur {host}:{port} ({exc.strerror or exc}) : le port "
                "est-il déjà utilisé ? Choisissez-en un autre avec --port") from None


@app.command("serve")
@one_line_errors
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        help="Processus uvicorn (chacun son instantané en mémoire)", min=1, max=64)] = 1,
    territoire: Annotated[str | None, typer.Option()] = None,
    wait_db: Annotated[float, typer.Option(
        "--wait-db", metavar="SECONDES", min=0, max=86_400,
        help="Base PostGIS injoignable au démarrage : l'attendre jusqu'à SECONDES "
        "(sans : une ligne d'erreur et le code 1)")] = 0.0,
) -> None:
    """Lance le service (carte à /, API à /api) sur le magasin embarqué."""
    from .storage import open_store

    settings = make_settings(territoire=territoire)
    storage = open_store(  # read by the read model, written by the services; opened
        settings, wait=wait_db, waiting=lambda _: typer.echo(  # before the heavy imports
            f"geoservice : base de données injoignable, attente (au plus {wait_db:g} s)…",
            err=True))
    from .api.app import create_app
    from .api.serving import run
    from .read.model import ReadModel, settle_heap

    model = ReadModel(settings, storage)  # fails early, with the command that fills it
    _check_port_free(host, port)
    typer.echo(f"geoservice : {model.current.territory.nom} sur http://{host}:{port}/",
               err=True)
    if workers > 1:  # each worker builds its own read model from the same storage
        import os

        model.close()
        os.environ["GEOSERVICE_TERRITOIRE"] = settings.territoire
        run("geoservice.api.app:app_from_env", host, port, workers)
        return
    app = create_app(settings, readmodel=model, storage=storage)
    settle_heap()
    run(app, host, port)


def _register_commands() -> None:
    from .commands import accounts, agenda, analyse, backup, bilan, export, imports, lookup, map

    for module in (export, lookup, analyse, bilan, map, accounts, imports, backup, agenda):
        module.register(app)


_register_commands()


def main() -> None:  # pragma: no cover - the console script; tests run it as a process
    from .commands.usage import run

    sys.exit(run(app))
