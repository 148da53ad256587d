"""The application factory: ``create_app(settings)``."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..read.model import FixedReadModel, ReadModel, settle_heap
from ..read.snapshot import Snapshot
from ..settings import Settings
from ..storage import Storage, open_store
from .http import BodyDeadline, add_http_basics, add_trusted_hosts, refuse_repeated
from .logs import add_request_ids, configure_logging
from .metrics import Metrics
from .observe import add_observation
from .params import document_limits
from .problems import add_exception_handlers, amend_openapi
from .proxies import ProxyHeaders
from .routes import (
    agenda,
    analysis,
    docs,
    duplicates,
    editing,
    embed,
    fabrique,
    geocode,
    health,
    history,
    imports,
    login,
    lookup,
    maps,
    merge,
    metrics,
    ogc,
    problem_types,
    proposals,
    verification,
)
from .security import add_security_headers
from .services import build_services

SWITCH_INTERVAL = 0.001


def _mount_vendor(app: FastAPI) -> None:
    """Leaflet, Leaflet.markercluster and Swagger UI from installed packages (no CDN)."""
    from importlib.resources import files

    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    app.mount("/vendor/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/vendor/markercluster", StaticFiles(directory=markercluster.BASE_DIR),
              name="markercluster")
    # Swagger UI 5 (OpenAPI 3.1) as shipped in the fastapi-offline package's static folder
    swagger = files("fastapi_offline") / "static"
    app.mount("/vendor/swagger", StaticFiles(directory=str(swagger)), name="swagger")


def _read_model(settings: Settings, readmodel: ReadModel | None, store: Snapshot | None,
                storage: Storage | None) -> tuple[ReadModel | FixedReadModel,
                                                  Storage | None]:
    """The read model and the writable storage (None: read only)."""
    if readmodel is not None:
        return readmodel, storage if storage is not None else readmodel.storage
    if store is not None:
        return FixedReadModel(store), storage
    storage = storage or open_store(settings)
    try:
        return ReadModel(settings, storage), storage
    except BaseException:
        storage.close()
        raise


def app_from_env() -> FastAPI:
    """The app with settings from the environment (``serve --workers N``: one per worker,
    its heap settled once its read model is built)."""
    return create_app(Settings(), settle=True)


def create_app(settings: Settings | None = None, readmodel: ReadModel | None = None,
               store: Snapshot | None = None, storage: Storage | None = None,
               settle: bool = False) -> FastAPI:
    """Build the app. At start-up (lifespan) it opens the storage once, and hands it to its
    read model (snapshots of the storage, refreshed in the background when a revision
    moves) and to the write side's services (:mod:`.services`), unless given: a read model
    given without ``storage`` lends its own; a fixed snapshot (``store``) is served read
    only. ``settle``: a serving process's heap is settled once the read model is built
    (:func:`~geoservice.read.model.settle_heap`)."""
    settings = settings or Settings()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model, writable = _read_model(settings, readmodel, store, storage)
        # the event loop (reads) gets the interpreter back within 1 ms, not Python's
        # default 5 ms, while threads work on writes and snapshot builds
        sys.setswitchinterval(SWITCH_INTERVAL)
        app.state.settings = settings
        app.state.readmodel = model
        app.state.services = build_services(settings, writable, model)
        if isinstance(model, ReadModel):
            model.on_rebuild = observed.rebuild.observe
        if settle:
            settle_heap()
        model.start()
        try:
            yield
        finally:
            model.close()  # closes the storage it reads

    app = FastAPI(
        title="geoservice — ESS et QPV",
        version=__version__,
        description="Géo-service ouvert de l'économie sociale et solidaire (OGC API – Features).",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py from the installed Swagger UI
        redoc_url=None,
        dependencies=[Depends(refuse_repeated)],
    )
    # level 5: close to level 9's size on GeoJSON and CSV, several times faster (it runs in
    # the event loop); the batch lookup compresses its own answer in a worker thread
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    add_trusted_hosts(app, settings.allowed_hosts, settings.public_url)
    add_security_headers(app, settings)
    add_exception_handlers(app)
    observed = app.state.metrics = Metrics()
    add_observation(app, observed)  # inside the request ids: audit lines carry them
    add_request_ids(app)
    add_http_basics(app)
    app.add_middleware(BodyDeadline, seconds=settings.body_timeout)
    # last, so outermost: every other part sees the client the trusted proxies name
    app.add_middleware(ProxyHeaders, trusted=settings.proxy_networks())
    # history before ogc: /items/{id}/history must not be read as the item « id/history »
    for module in (health, login, proposals, imports, history, merge, editing, ogc, lookup,
                   geocode, duplicates, verification, analysis, fabrique, agenda, maps, embed,
                   problem_types, docs, metrics):
        app.include_router(module.router)
    _mount_vendor(app)
    amend_openapi(app, lambda schema: document_limits(schema, settings))
    if settings.static_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="static")
    return app
