"""CLI commands ``geoservice agenda import FILE_OR_URL`` and ``geoservice agenda pull``:
partners' calendars (.ics, OpenAgenda JSON) into the ``evenements`` layer, idempotent by
UID (:mod:`geoservice.agenda.partners`)."""

from __future__ import annotations

from typing import Annotated

import typer

agenda_app = typer.Typer(help="Agenda de l'ESS : calendriers des partenaires.",
                         no_args_is_help=True)


def _run(sources: list, territoire: str | None) -> None:
    import getpass

    from ..agenda.occurrences import EVENTS
    from ..agenda.partners import fetch, import_calendar
    from ..read.model import load_store
    from ..spatial.locator import locator_for
    from ..storage import open_store
    from .common import make_settings

    settings = make_settings(territoire=territoire)
    store = load_store(settings)
    layer = store.layers[EVENTS]
    locator = locator_for(store)
    storage = open_store(settings)
    try:
        for source in sources:
            data = fetch(source.url, settings.http_timeout)
            done = import_calendar(storage, layer, source, data, settings.territoire,
                                   lambda lon, lat: locator.place(lon, lat)[0],
                                   f"cli:{getpass.getuser()}")
            for line in done.lines():
                typer.echo(line)
    finally:
        storage.close()


def _declared(settings_path: object) -> list:
    from ..agenda.partners import load_sources

    return load_sources(settings_path)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add the ``agenda`` commands to the CLI."""
    from .common import make_settings, one_line_errors

    app.add_typer(agenda_app, name="agenda")

    def sources_file(territoire: str | None) -> object:
        settings = make_settings(territoire=territoire)
        return settings.agenda_sources or settings.data_dir / "agenda_sources.yaml"

    @agenda_app.command("import")
    @one_line_errors
    def agenda_import(
        location: Annotated[str, typer.Argument(
            help="Fichier ou adresse web d'un calendrier .ics ou d'un export JSON OpenAgenda")],
        name: Annotated[str | None, typer.Option(
            "--name", help="Nom de la source (par défaut : celui déclaré pour cette adresse "
            "dans les sources de l'agenda, sinon le fichier)")] = None,
        fmt: Annotated[str | None, typer.Option(
            "--format", help="ics ou openagenda (deviné sinon)")] = None,
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Importe un calendrier : idempotent par UID ; à vérifier sauf source de
        confiance ; les événements absents de la source sont signalés, jamais supprimés."""
        from pathlib import PurePosixPath

        from ..agenda.partners import FORMATS, PartnerSource
        from ..errors import InvalidParameter

        if fmt is not None and fmt not in FORMATS:
            raise InvalidParameter(f"--format : ics ou openagenda, pas « {fmt} »")
        declared = {s.url: s for s in _declared(sources_file(territoire))}
        source = declared.get(location)
        if source is None:
            default = PurePosixPath(location.split("?")[0].rstrip("/")).name or "calendrier"
            source = PartnerSource(name or default, location, fmt)
        elif name or fmt:
            from dataclasses import replace

            source = replace(source, name=name or source.name, format=fmt or source.format)
        _run([source], territoire)

    @agenda_app.command("pull")
    @one_line_errors
    def agenda_pull(
        territoire: Annotated[str | None, typer.Option(help="Territoire servi")] = None,
    ) -> None:
        """Importe les calendriers déclarés « pull: true » dans les sources de l'agenda
        (GEOSERVICE_AGENDA_SOURCES, ou DATA_DIR/agenda_sources.yaml)."""
        path = sources_file(territoire)
        chosen = [s for s in _declared(path) if s.pull]
        if not chosen:
            typer.echo(f"aucun calendrier à tirer (pull: true) dans {path}")
            return
        _run(chosen, territoire)
