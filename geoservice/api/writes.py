"""What every write route shares (Part 4 writes, revert, restore): media types, the
documented problem responses, the request's reason, expected version and JSON body, and
the response to a write."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request, Response
from starlette.types import Message

from ..editing import Written
from ..errors import InvalidParameter, PayloadTooLarge, UnsupportedMediaType
from ..numbers import ascii_int
from ..read.export import dumps
from .headers import etag, parse_if_match
from .links import base_url
from .problems import problem_response

GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
MAX_BODY = 256 * 1024
MAX_REASON = 500
MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a JSON body may have (a GeoJSON multipolygon needs 5)."""
READ_ERRORS = {
    400: problem_response("Paramètre invalide"),
    401: problem_response("Réservé aux comptes (jeton ou session)"),
    404: problem_response("Collection, objet ou version introuvable"),
    405: problem_response("Couche de référence ou vue calculée : pas d'historique"),
}
WRITE_ERRORS = {
    400: problem_response("Corps JSON illisible ou en-tête invalide"),
    404: problem_response("Collection ou objet introuvable"),
    409: problem_response("L'objet existe déjà, ou doublon probable (création : le membre "
                          "candidates liste les objets ressemblants ; renvoyez avec "
                          "Geoservice-Duplicate: distinct si c'est un autre lieu)"),
    410: problem_response("Objet supprimé : le restaurer d'abord"),
    413: problem_response("Corps trop volumineux"),
    401: problem_response("Sans compte, ou jeton inconnu, expiré ou révoqué"),
    403: problem_response("Le rôle du compte ne permet pas cette action sur cette couche"),
    405: problem_response("Couche de référence ou vue calculée : lecture seule"),
    412: problem_response("If-Match périmé, faible (W/) ou inconnu : le corps donne la "
                          "version actuelle"),
    415: problem_response("Type de contenu non pris en charge"),
    422: problem_response("Objet contraire au schéma de la couche (champ nommé)"),
    428: problem_response("If-Match absent"),
}


def expected_version(request: Request) -> int:
    """The version the writer read, from ``If-Match`` (428 when missing; a weak or unknown
    tag matches no version: 412)."""
    return parse_if_match(request.headers.get("if-match"))


def duplicate_confirmed(request: Request) -> bool:
    """``Geoservice-Duplicate: distinct``: the writer saw the likely duplicates (409
    ``doublon-probable``) and says the new feature is another place."""
    raw = request.headers.get("geoservice-duplicate")
    if raw is None:
        return False
    if raw.strip().lower() != "distinct":
        raise InvalidParameter("Geoservice-Duplicate : seule la valeur « distinct » est "
                               "admise (c'est un autre lieu que les doublons probables)")
    return True


def change_reason(request: Request) -> str | None:
    """``Geoservice-Reason``: why the change is made (percent-encoded UTF-8)."""
    raw = request.headers.get("geoservice-reason")
    if raw is None:
        return None
    try:
        text = unquote(raw, errors="strict") if "%" in raw else raw
    except UnicodeDecodeError as exc:
        raise InvalidParameter("Geoservice-Reason : encodage invalide ; écrivez le motif en "
                               "UTF-8 encodé en pourcent (ex. %C3%A9 pour « é »)") from exc
    text = " ".join(text.split())
    if len(text) > MAX_REASON:
        raise InvalidParameter(f"Geoservice-Reason : {MAX_REASON} caractères au plus")
    return text or None


def refuse_declared_size(request: Request, limit: int) -> None:
    """413 before reading when the declared Content-Length exceeds ``limit`` bytes."""
    declared = ascii_int(request.headers.get("content-length") or "")
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"Corps de {declared} octets : {limit} au plus")


def capped(request: Request, limit: int) -> Request:
    """The same request, whose body is counted while it is read: past ``limit`` bytes,
    :class:`PayloadTooLarge` at once (whatever ``Content-Length`` said), so that nothing
    beyond the cap is ever read, kept in memory or spooled to disk."""
    refuse_declared_size(request, limit)
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"Corps de plus de {limit} octets")
        return message

    return Request(request.scope, counted)


async def json_body(request: Request, accepted: tuple[str, ...], limit: int = MAX_BODY
                    ) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in accepted:
        raise UnsupportedMediaType(f"Content-Type « {media or 'absent'} » : attendu "
                                   + " ou ".join(accepted))
    refuse_declared_size(request, limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"Corps de plus de {limit} octets")
    return parse_json(body, "Corps JSON")


def parse_json(data: bytes | str, what: str) -> Any:
    """A JSON document sent by a client (a body, a form field): 400 in French when it is
    not UTF-8 JSON or nests deeper than :data:`MAX_DEPTH`, never a 500."""
    try:
        document = json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidParameter(f"{what} illisible ({str(exc)[:80]})") from exc
    except RecursionError as exc:
        raise _too_deep(what) from exc
    if _depth(document) > MAX_DEPTH:
        raise _too_deep(what)
    return document


def _too_deep(what: str) -> InvalidParameter:
    return InvalidParameter(f"{what} illisible : imbrication trop profonde ({MAX_DEPTH} "
                            "niveaux de tableaux ou d'objets au plus)")


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest in ``document`` (without recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((v, depth + 1) for v in
                         (value.values() if isinstance(value, dict) else value))
    return deepest


def item_href(request: Request, collection: str, fid: str) -> str:
    return f"{base_url(request)}/api/collections/{collection}/items/{quote(fid, safe='')}"


def written_response(request: Request, written: Written, status: int) -> Response:
    headers = {"ETag": etag(written.version),
               "Location": item_href(request, written.collection, written.fid)}
    if written.changeset is not None:
        headers["Geoservice-Changeset"] = str(written.changeset)
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(dumps(written.feature), status_code=status, media_type=GEOJSON,
                    headers=headers)
