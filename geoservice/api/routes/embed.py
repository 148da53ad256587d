"""Route: the light map for partners' sites (``/embed``), framed by the sites listed in
``GEOSERVICE_EMBED_ORIGINS`` (its headers: :func:`geoservice.api.security.embed_csp`).

The page is ``static/embed.html`` and its module ``static/embed.js``; the route only checks
the link's parameters, so a wrong link says what is wrong instead of drawing an empty map.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from ...analysis.params import check_defi
from ...errors import InvalidParameter
from ..deps import DefiQuery, SettingsDep, SnapshotDep
from ..http import only
from ..problems import problem_response

router = APIRouter(tags=["maps"])


def embeddable(store) -> list[str]:  # noqa: ANN001 - Snapshot
    """Layers a partner's map may show: the stored ones (analysis results are not)."""
    return [c.id for c in store.collections.values() if not getattr(c.layer, "derived", False)]


@router.get("/embed", operation_id="getEmbedMap", response_class=HTMLResponse,
            dependencies=[only("couches", "qpv", "defi")],
            summary="Carte légère à intégrer dans un autre site (iframe)",
            responses={200: {"content": {"text/html": {}}},
                       400: problem_response("Paramètre invalide")})
def embed(
    store: SnapshotDep,
    settings: SettingsDep,
    couches: Annotated[str | None, Query(
        description="Couches montrées, séparées par des virgules (défaut : celles de la "
                    "carte complète)", examples=["qpv,lieux_totems,projets"])] = None,
    qpv: Annotated[str | None, Query(
        description="Code d'un QPV 2024 à cadrer et souligner", examples=["QN03107M"])] = None,
    defi: DefiQuery = None,
) -> HTMLResponse:
    """La carte sans panneau, pour un `<iframe>` : couches choisies, un QPV cadré, les lieux
    d'un Défi. Les sites autorisés à l'intégrer : GEOSERVICE_EMBED_ORIGINS."""
    check_defi(defi or None)
    if couches is not None:
        known = embeddable(store)
        for name in (n.strip() for n in couches.split(",")):
            if name not in known:
                raise InvalidParameter(f"couches : « {name[:40]} » inconnue ; possibles : "
                                       f"{', '.join(known)}")
    if qpv is not None:
        codes = store.collection("qpv").column("code_qp") if "qpv" in store.collections else []
        if qpv not in codes:
            raise InvalidParameter(f"qpv : aucun QPV 2024 de code « {qpv[:20]} » sur ce "
                                   "territoire")
    page = settings.static_dir / "embed.html"
    return HTMLResponse(page.read_text("utf-8"))
