"""Routes for a load balancer or a supervisor: ``/api/health`` (the process answers; no
store access) and ``/api/ready`` (the store answers one cheap query and a snapshot is
loaded: this replica can take traffic), 503 problem+json with ``Retry-After`` otherwise."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import ServiceUnavailable, StoreUnavailable
from ..http import only
from ..problems import problem_response

router = APIRouter(prefix="/api", tags=["Exploitation"])
log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0
"""Seconds the readiness probe waits for the store before answering 503."""
RETRY_AFTER = 5
"""Seconds a load balancer is told to wait before asking again."""


class Health(BaseModel):
    status: str = Field(description="« ok »", examples=["ok"])


class Ready(BaseModel):
    status: str = Field(description="« ok » : ce réplica peut recevoir du trafic",
                        examples=["ok"])
    revisions: dict[str, int] = Field(
        description="La révision de chaque collection dans l'instantané servi")


@router.get("/health", operation_id="getHealth", dependencies=[only()],
            summary="Le processus répond (sans interroger le magasin)")
def health() -> Health:
    return Health(status="ok")


def _not_ready(detail: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"Service pas prêt : {detail} ; réessayez dans {RETRY_AFTER} s",
                              retry_after=RETRY_AFTER)


async def _probe(app: Any, storage: Any) -> None:
    """One cheap query (the revisions read) off the event loop, at most one at a time:
    concurrent probes share it, and none waits more than ``PROBE_TIMEOUT`` seconds (a probe
    stuck on an unreachable database goes on in its thread, and the next ones wait on it)."""
    task = getattr(app.state, "ready_probe", None)
    if task is None or task.done():
        task = asyncio.ensure_future(run_in_threadpool(storage.features.revisions))
        app.state.ready_probe = task
    try:
        await asyncio.wait_for(asyncio.shield(task), PROBE_TIMEOUT)
    except TimeoutError as exc:
        raise _not_ready(f"la base de données ne répond pas en {PROBE_TIMEOUT:g} s") from exc
    except StoreUnavailable as exc:  # the storage logs once when it goes and returns
        raise _not_ready("la base de données est injoignable") from exc
    except Exception as exc:  # noqa: BLE001 — any storage failure: not ready, said once
        log.warning("readiness: store unreachable (%s)", str(exc).splitlines()[0][:200]
                    if str(exc) else type(exc).__name__)
        raise _not_ready("la base de données est injoignable") from exc


@router.get("/ready", operation_id="getReady", dependencies=[only()],
            summary="Ce réplica peut recevoir du trafic (magasin joignable, instantané chargé)",
            responses={503: problem_response("Magasin injoignable ou instantané pas encore "
                                             "chargé (en-tête Retry-After)")})
async def ready(request: Request) -> Ready:
    model = getattr(request.app.state, "readmodel", None)
    snapshot = getattr(model, "current", None)
    if snapshot is None:
        raise _not_ready("instantané pas encore chargé")
    storage = getattr(model, "storage", None)
    if storage is not None:
        await _probe(request.app, storage)
    return Ready(status="ok", revisions=dict(snapshot.revisions))
