"""Command-line interface: the same functions as the API, without a server."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import GeoserviceError
from .settings import Settings

app = typer.Typer(help="geoservice : ESS et QPV d'un Territoire French Impact.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Données : remplir le magasin embarqué.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"erreur : {message}", err=True)
    raise typer.Exit(code)


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become one line on stderr and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GeoserviceError as exc:
            fail(exc.detail)
        except OSError as exc:
            fail(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")

    return wrapper


def make_settings(**overrides: Any) -> Settings:
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValueError as exc:
        fail(f"configuration invalide : {str(exc).splitlines()[0]}")
        raise  # unreachable


@data_app.command("pull")
@one_line_errors
def data_pull(
    source: Annotated[
        Path | None, typer.Option("--from", help="Dossier miroir des données")
    ] = None,
    territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
) -> None:
    """Remplit le magasin depuis le miroir (--from DIR) ou les producteurs (internet)."""
    from rich.console import Console

    from .pull import pull

    settings = make_settings(sources=str(source) if source else None, territoire=territoire)
    console = Console(stderr=True)
    with console.status("Import des données…") as status:
        provenance = pull(settings, progress=lambda msg: status.update(f"Import : {msg}"))
    for layer_id, record in provenance.items():
        extra = ""
        if "repaired" in record:
            extra = f", {record['repaired']} géométrie(s) réparée(s)"
        console.print(f"  {layer_id:<15} {record['feature_count']:>5} objet(s){extra}")
    console.print(f"Magasin écrit : {settings.store_path}")


@app.command("layers")
@one_line_errors
def layers(territoire: Annotated[str | None, typer.Option()] = None) -> None:
    """Liste les couches : nombre d'objets, millésime, source et licence."""
    from .store import Store

    store = Store.load(make_settings(territoire=territoire))
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


@app.command("serve")
@one_line_errors
def serve(
    host: Annotated[str, typer.Option(help="Adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8000,
    territoire: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Lance le service (carte à /, API à /api) sur le magasin embarqué."""
    import uvicorn

    from .api.app import create_app
    from .store import Store

    settings = make_settings(territoire=territoire)
    store = Store.load(settings)  # fails early, with the command that fills an empty store
    typer.echo(f"geoservice : {store.territory.nom} sur http://{host}:{port}/", err=True)
    uvicorn.run(create_app(settings, store=store), host=host, port=port, log_level="info")


def _register_commands() -> None:
    from .commands import analyse, export, lookup, map

    for module in (export, lookup, analyse, map):
        module.register(app)


_register_commands()


def main() -> None:  # pragma: no cover
    sys.exit(app())
