"""Interactive API documentation (Swagger UI 5, from the static files of the installed
``fastapi-offline`` package): no CDN and no inline script, so the page runs under the same
Content-Security-Policy as the rest of the service."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>geoservice — documentation de l'API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/vendor/swagger/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" aria-label="Documentation de l'API"></main>
<script src="/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
