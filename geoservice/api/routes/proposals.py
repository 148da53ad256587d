"""Residents propose, moderators decide (``/api/proposals``). Anyone may propose a feature,
a correction or report a problem (202: nothing public changes); the proposer follows it
with the secret key returned once (header ``Geoservice-Follow-Key``; the page link carries
it after ``#``, so it never reaches a server log). Moderators list, compare, accept (same
write path as Part 4, conflict detection) or reject with a message. The rules live in
:mod:`geoservice.editing.proposals`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...auth.roles import MODERATORS
from ...editing.entities import Proposal
from ...editing.proposals import KINDS, PROBLEMS, QUEUE_MAX, QUEUE_PAGE, STATUSES, Proposals
from ...errors import GeoserviceError, InvalidParameter, status_of
from ..auth import CallerDep
from ..deps import AccountsDep, ProposalsDep
from ..links import base_url, link
from ..problems import problem_response
from ..writes import item_href, json_body

router = APIRouter(prefix="/api/proposals", tags=["Propositions et modération"])
JSON = ("application/json",)
MAX_PROPOSAL = 32 * 1024
FOLLOW_HEADER = "geoservice-follow-key"
QUEUE_LIMIT_TEXT = (f"Propositions par page : {QUEUE_PAGE} par défaut, au plus {QUEUE_MAX} (une "
                    "valeur plus grande est ramenée au maximum) ; numberMatched donne le total, "
                    "le lien « next » la page suivante.")
ProposalId = Annotated[str, Path(description="Identifiant de la proposition",
                                 pattern=r"^p-[0-9a-f]{10}$")]
ERRORS = {
    400: problem_response("Corps JSON illisible"),
    401: problem_response("Réservé aux modérateurs (jeton ou session)"),
    403: problem_response("Rôle sans droit de modération, ou jeton anti-CSRF absent"),
    404: problem_response("Proposition inconnue (ou lien de suivi incorrect)"),
    409: problem_response("Proposition déjà traitée"),
    412: problem_response("L'objet visé a changé depuis la proposition"),
    413: problem_response("Corps trop volumineux"),
    415: problem_response("Type de contenu non pris en charge"),
    422: problem_response("Proposition contraire au schéma de la couche (champ nommé)"),
}


def _follow_link(request: Request, proposal: Proposal, key: str) -> str:
    return f"{base_url(request)}/#suivi={proposal.id}.{key}"


def public_view(request: Request, proposal: Proposal) -> dict[str, Any]:
    """What the proposer sees: never the contact, the client or the moderator's e-mail."""
    out: dict[str, Any] = {
        "id": proposal.id, "kind": proposal.kind, "collection": proposal.collection,
        "status": proposal.status, "created_at": proposal.created_at,
        "decided_at": proposal.decided_at, "message": proposal.message,
        "target": proposal.target, "problem": proposal.problem,
        "problem_label": PROBLEMS.get(proposal.problem or ""), "note": proposal.note,
        "feature": proposal.feature}
    if proposal.status == "accepted" and proposal.result_fid:
        out["published"] = item_href(request, proposal.collection, proposal.result_fid)
    return out


def moderator_view(request: Request, proposal: Proposal, service: Proposals,
                   review: bool) -> dict[str, Any]:
    out = public_view(request, proposal)
    out.update({"contact": proposal.contact, "qpv": proposal.qpv,
                "target_version": proposal.target_version, "moderator": proposal.moderator,
                "result": {"id": proposal.result_fid, "version": proposal.result_version,
                           "changeset": proposal.changeset} if proposal.result_fid else None,
                "href": f"{base_url(request)}/api/proposals/{proposal.id}"})
    if review:
        out["review"] = service.review(proposal)
    return out


def _no_store(payload: Any, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(payload, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


@router.post("", status_code=202, summary="Proposer un objet, une correction, ou signaler un "
             "problème (sans compte)",
             responses={**ERRORS, 202: {"description": "Reçue : en attente de modération "
                                        "(Location : la proposition ; le corps donne le lien "
                                        "de suivi secret, montré une seule fois)"},
                        429: problem_response("Trop de propositions : attendre Retry-After")})
async def propose(request: Request, service: ProposalsDep, accounts: AccountsDep
                  ) -> JSONResponse:
    body = await json_body(request, JSON, MAX_PROPOSAL)
    address = request.client.host if request.client else None
    client = "proposition:" + await run_in_threadpool(accounts.client, address)
    done = await run_in_threadpool(service.submit, body, client)
    view = public_view(request, done.proposal)
    view.update({"follow": _follow_link(request, done.proposal, done.key),
                 "follow_key": done.key})
    href = f"{base_url(request)}/api/proposals/{done.proposal.id}"
    return _no_store(view, 202, {"Location": href})


@router.get("", summary="File de modération (modérateurs), par pages", responses=ERRORS)
async def queue(
    request: Request, caller: CallerDep, service: ProposalsDep,
    status: Annotated[str | None, Query(description="pending (défaut), accepted, rejected, "
                                        "ou all", json_schema_extra={
                                            "enum": [*STATUSES, "all"]})] = "pending",
    collection: Annotated[str | None, Query(description="Couche", max_length=64)] = None,
    qpv: Annotated[str | None, Query(description="Code du QPV", max_length=32)] = None,
    kind: Annotated[str | None, Query(description="new, correction ou report",
                                      json_schema_extra={"enum": list(KINDS)})] = None,
    limit: Annotated[int, Query(description=QUEUE_LIMIT_TEXT, ge=1)] = QUEUE_PAGE,
    offset: Annotated[int, Query(description="Propositions à sauter (page suivante : lien "
                                 "« next »)", ge=0)] = 0,
) -> JSONResponse:
    wanted = None if status == "all" else status
    found, matched = await run_in_threadpool(service.queue, caller, wanted, collection, qpv,
                                             kind, limit, offset)
    limit = min(limit, QUEUE_MAX)
    items = [moderator_view(request, p, service, review=False) for p in found]
    path = f"{base_url(request)}/api/proposals"
    params = dict(request.query_params)
    links = [link(_href(path, params), "self", "application/json", "Cette page")]
    if offset + len(items) < matched:
        links.append(link(_href(path, {**params, "offset": str(offset + len(items)),
                                       "limit": str(limit)}),
                          "next", "application/json", "Page suivante"))
    if offset > 0:
        links.append(link(_href(path, {**params, "offset": str(max(0, offset - limit)),
                                       "limit": str(limit)}),
                          "prev", "application/json", "Page précédente"))
    return _no_store({"proposals": items, "numberMatched": matched,
                      "numberReturned": len(items), "links": links})


def _href(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


@router.get("/{proposalId}", summary="Une proposition (modérateurs ; ou le proposant avec "
            "son lien de suivi, en-tête Geoservice-Follow-Key)", responses=ERRORS)
async def one(request: Request, proposalId: ProposalId, caller: CallerDep,  # noqa: N803
              service: ProposalsDep) -> JSONResponse:
    key = request.headers.get(FOLLOW_HEADER)
    if key is not None and (caller is None or caller.role not in MODERATORS):
        found = await run_in_threadpool(service.followed, proposalId, key)
        return _no_store(public_view(request, found))
    found = await run_in_threadpool(service.get, proposalId, caller)
    view = await run_in_threadpool(moderator_view, request, found, service, True)
    return _no_store(view)


def _text_field(body: Any, name: str) -> str | None:
    value = body.get(name) if isinstance(body, dict) else None
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"« {name} » : texte attendu")
    return value


async def _optional_body(request: Request) -> dict:
    if not request.headers.get("content-type") and request.headers.get(
            "content-length", "0") == "0":
        return {}
    body = await json_body(request, JSON, MAX_PROPOSAL)
    if not isinstance(body, dict):
        raise InvalidParameter("Objet JSON attendu")
    return body


@router.post("/{proposalId}/accept", summary="Accepter (appliquée par le chemin d'écriture "
             "Part 4 ; corps facultatif : feature corrigée, version comparée, message)",
             responses=ERRORS)
async def accept(request: Request, proposalId: ProposalId, caller: CallerDep,  # noqa: N803
                 service: ProposalsDep) -> JSONResponse:
    body = await _optional_body(request)
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise InvalidParameter("« version » : entier attendu (la version de l'objet comparée)")
    proposal, written = await run_in_threadpool(
        service.accept, proposalId, caller, body.get("feature"), version,
        _text_field(body, "message"))
    view = moderator_view(request, proposal, service, review=False)
    headers = {}
    if written is not None:
        view["written"] = written.feature
        headers["Location"] = item_href(request, written.collection, written.fid)
    return _no_store(view, 200, headers)


@router.post("/{proposalId}/reject", summary="Refuser, avec un message lu par le proposant",
             responses=ERRORS)
async def reject(request: Request, proposalId: ProposalId, caller: CallerDep,  # noqa: N803
                 service: ProposalsDep) -> JSONResponse:
    body = await _optional_body(request)
    proposal = await run_in_threadpool(service.reject, proposalId, caller,
                                       _text_field(body, "message"))
    return _no_store(moderator_view(request, proposal, service, review=False))


@router.post("/bulk", summary="Accepter ou refuser plusieurs propositions (chacune dans sa "
             "transaction ; le résultat de chacune est rendu)", responses=ERRORS)
async def bulk(request: Request, caller: CallerDep, service: ProposalsDep) -> JSONResponse:
    body = await _optional_body(request)
    action, ids = body.get("action"), body.get("ids")
    if action not in ("accept", "reject"):
        raise InvalidParameter("« action » : accept ou reject")
    if not isinstance(ids, list) or not ids or len(ids) > 200 or not all(
            isinstance(i, str) for i in ids):
        raise InvalidParameter("« ids » : liste de 1 à 200 identifiants")
    message = _text_field(body, "message")
    results = []
    for pid in ids:
        try:
            if action == "accept":
                await run_in_threadpool(service.accept, pid, caller, None, None, message)
            else:
                await run_in_threadpool(service.reject, pid, caller, message)
            results.append({"id": pid, "status": 200})
        except GeoserviceError as exc:
            code = status_of(exc)
            if code in (401, 403):
                raise
            results.append({"id": pid, "status": code, "detail": exc.detail})
    return _no_store({"results": results})
