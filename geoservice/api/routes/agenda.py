"""The Agenda de l'ESS over HTTP: the iCalendar feed (``/api/agenda.ics``), one ``.ics`` per
event (« Ajouter à mon agenda ») and the occurrences of a period in JSON (the map's Agenda
view). The events are chosen and written by :mod:`geoservice.agenda`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ...agenda import feed, listing
from ...agenda.ical import calendar
from ..deps import SettingsDep, SnapshotDep
from ..http import only
from ..links import base_url
from ..problems import problem_response

router = APIRouter(prefix="/api", tags=["Agenda"])

ICS = "text/calendar; charset=utf-8"
ICS_RESPONSE = {200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
                      "description": "iCalendar (RFC 5545)"},
                400: problem_response("Paramètre invalide")}
DefiFilter = Annotated[str | None, Query(description="Défi (inclusion, economie_circulaire, "
                                                     "alimentation_durable)")]
CommuneFilter = Annotated[str | None, Query(description="Code INSEE de la commune")]
QpvFilter = Annotated[str | None, Query(description="Code du QPV 2024 où a lieu l'événement")]
LieuFilter = Annotated[str | None, Query(description="Lieu « collection/identifiant »",
                                         examples=["lieux_totems/tm-lt-le-fil"])]
TypeFilter = Annotated[str | None, Query(description="Type d'événement (rencontre, atelier, "
                                                     "formation, visite, forum, autre)")]


def _name(request: Request) -> str:
    settings = request.app.state.settings
    return f"Agenda de l'ESS — {settings.territoire}"


@router.get("/agenda.ics", operation_id="getAgendaFeed",
            dependencies=[only(*feed.FILTERS)], response_class=Response,
            summary="L'agenda de l'ESS en iCalendar (abonnement)", responses=ICS_RESPONSE)
async def agenda_feed(request: Request, store: SnapshotDep, settings: SettingsDep,
                      defi: DefiFilter = None, commune: CommuneFilter = None,
                      qpv: QpvFilter = None, lieu: LieuFilter = None,
                      type_evenement: TypeFilter = None) -> Response:
    """Chaque événement (récurrence RRULE gardée, annulé : STATUS:CANCELLED), avec un UID
    stable et SEQUENCE qui croît à chaque modification ; filtres facultatifs."""
    query = feed.FeedQuery.of(dict(request.query_params))
    events = await run_in_threadpool(feed.events, store, query, f"{base_url(request)}/")
    body = await run_in_threadpool(calendar, events, _name(request), settings.uid_domain)
    return Response(body, media_type=ICS, headers={
        "Content-Disposition": 'inline; filename="agenda-ess.ics"'})


@router.get("/agenda/{eventId}.ics", operation_id="getAgendaEvent",
            dependencies=[only()], response_class=Response,
            summary="Un événement en iCalendar (« Ajouter à mon agenda »)",
            responses={**ICS_RESPONSE, 404: problem_response("Événement inconnu")})
async def agenda_event(request: Request, store: SnapshotDep, settings: SettingsDep,
                       eventId: Annotated[str, Path(description="Identifiant de l'événement",  # noqa: N803
                                                    examples=["mmm-evt-rencontres-ess-2022"])]
                       ) -> Response:
    events = await run_in_threadpool(feed.events, store, feed.FeedQuery(),
                                     f"{base_url(request)}/", eventId)
    body = await run_in_threadpool(calendar, events, _name(request), settings.uid_domain)
    return Response(body, media_type=ICS, headers={
        "Content-Disposition": f'attachment; filename="{_safe(eventId)}.ics"'})


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:80] or "evenement"


@router.get("/agenda", operation_id="getAgendaOccurrences",
            dependencies=[only("datetime", *feed.FILTERS)],
            summary="Les occurrences des événements d'une période (JSON)",
            responses={400: problem_response("Paramètre invalide")})
async def agenda_occurrences(
        request: Request, store: SnapshotDep,
        datetime: Annotated[str | None, Query(
            description="Période (AAAA-MM, AAAA-MM-JJ/AAAA-MM-JJ, date-heure RFC 3339, « .. » "
                        "ouvert) ; par défaut, de maintenant à un an", examples=["2026-11"])
        ] = None,
        defi: DefiFilter = None, commune: CommuneFilter = None, qpv: QpvFilter = None,
        lieu: LieuFilter = None, type_evenement: TypeFilter = None) -> dict:
    """Chaque occurrence (une par semaine pour un événement hebdomadaire), triée par
    début, avec l'événement, son lieu, sa commune et ses liens .ics."""
    params = {k: v for k, v in request.query_params.items() if k != "datetime"}
    query = feed.FeedQuery.of(params)
    base = base_url(request)
    return await run_in_threadpool(listing.occurrences, store, query, datetime, base)
