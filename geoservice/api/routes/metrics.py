"""``GET /metrics``: the process's metrics in the Prometheus text format (:mod:`..metrics`).

Who may read them is a setting (``GEOSERVICE_METRICS``): ``loopback`` by default (a
Prometheus on the same machine; a request relayed by a proxy — ``Forwarded``,
``X-Forwarded-For`` or ``X-Real-IP`` — is refused even from 127.0.0.1, so a public nginx
in front never exposes them), ``open``, or ``off`` (404)."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Request, Response

from ...errors import Forbidden, NotFound
from ..http import only
from ..metrics import CONTENT_TYPE
from ..problems import problem_response

router = APIRouter(tags=["Exploitation"])
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        direct = ipaddress.ip_address(host).is_loopback
    except ValueError:
        direct = False
    return direct and not any(h in request.headers for h in PROXY_HEADERS)


@router.get("/metrics", operation_id="getMetrics", dependencies=[only()],
            summary="Métriques du processus (format texte Prometheus)",
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}},
                       403: problem_response("Réservé aux clients de cette machine "
                                             "(GEOSERVICE_METRICS=loopback)"),
                       404: problem_response("Métriques désactivées (GEOSERVICE_METRICS=off)")})
async def metrics(request: Request) -> Response:
    policy = request.app.state.settings.metrics
    if policy == "off":
        raise NotFound("Métriques désactivées sur ce service (GEOSERVICE_METRICS=off)")
    if policy == "loopback" and not _loopback(request):
        raise Forbidden("Métriques réservées aux clients de cette machine, sans proxy "
                        "(GEOSERVICE_METRICS=loopback)")
    body = request.app.state.metrics.expose(getattr(request.app.state, "readmodel", None))
    return Response(body, media_type=CONTENT_TYPE)
