"""Metrics in the Prometheus text format at ``/metrics`` (``prometheus-client``), names
prefixed ``geoservice_``: requests by route template and status, latency histograms,
writes, snapshot rebuild time, revision lag, database connections.

Per process: with ``serve --workers N`` each worker counts its own requests (a scrape
reaches one of them); run one worker per replica (several replicas behind a load
balancer) to scrape each. Each app has its own registry (tests build many apps in one
process)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
REBUILD_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The metrics of one app; :meth:`request` and :meth:`write` are called for each
    request by :mod:`.observe`, :meth:`expose` renders them."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "geoservice_http_requests", "Requêtes HTTP par méthode, route (modèle de chemin) "
            "et statut", ("method", "route", "status"), registry=registry)
        self.latency = Histogram(
            "geoservice_http_request_duration_seconds", "Durée des requêtes HTTP (jusqu'à la "
            "fin de la réponse)", ("method", "route"), buckets=LATENCY_BUCKETS,
            registry=registry)
        self.writes = Counter(
            "geoservice_writes", "Écritures (objets, modération, imports) par action, "
            "collection et issue", ("action", "collection", "outcome"), registry=registry)
        self.rebuild = Histogram(
            "geoservice_snapshot_rebuild_seconds", "Temps de dérivation d'un nouvel "
            "instantané en mémoire", buckets=REBUILD_BUCKETS, registry=registry)
        self.lag = Gauge(
            "geoservice_revision_lag", "Révisions du magasin pas encore dans l'instantané "
            "servi, par collection", ("collection",), registry=registry)
        self.check_age = Gauge(
            "geoservice_revision_check_age_seconds", "Secondes depuis la dernière "
            "comparaison de révisions réussie avec le magasin", registry=registry)
        self.database_up = Gauge(
            "geoservice_database_up", "1 quand la base de données a répondu à la dernière "
            "requête, 0 sinon", registry=registry)
        self.pool = Gauge(
            "geoservice_db_pool_connections", "Connexions à la base (PostGIS) : ouvertes "
            "(size), libres (idle), maximum (max)", ("state",), registry=registry)
        self.pool_waiting = Gauge(
            "geoservice_db_pool_requests_waiting", "Requêtes en attente d'une connexion à la "
            "base", registry=registry)

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def write(self, action: str, collection: str, outcome: str) -> None:
        self.writes.labels(action, collection, outcome).inc()

    def _sample(self, model: Any) -> None:
        """The gauges read at scrape time from the read model and its storage."""
        current = getattr(model, "current", None)
        stored = getattr(model, "stored", None)
        if current is not None and stored is not None:
            for collection, revision in current.revisions.items():
                self.lag.labels(collection).set(max(0, stored.get(collection, revision)
                                                    - revision))
        checked = getattr(model, "checked_at", None)
        if checked is not None:
            self.check_age.set(time.monotonic() - checked)
        storage = getattr(model, "storage", None)
        connections = storage.connections() if storage is not None else {}
        self.database_up.set(connections.get("up", 1))
        for state in ("size", "idle", "max"):
            if state in connections:
                self.pool.labels(state).set(connections[state])
        self.pool_waiting.set(connections.get("waiting", 0))

    def expose(self, model: Any) -> bytes:
        """The text format, gauges sampled now."""
        self._sample(model)
        return generate_latest(self.registry)
