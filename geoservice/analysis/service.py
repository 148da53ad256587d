"""The one entry to the analysis: parameters parsed once, one diagnosis per snapshot and
parameters, and the few shapes its callers need (no web framework here).

Every caller goes through this module: the API ranking (``/api/analysis/underserved``),
the map routes (``/api/map/diagnostic-classes``, ``/api/map/diagnostic-export``), the
``diagnostic_qpv`` and ``couverture`` views, the folium report maps and the CLI
(``geoservice analyse``, ``geoservice map``)::

    request = AnalysisRequest.parse(defi="inclusion", ring_m="800", settings=settings)
    result = run(snapshot, request)      # computed once per (snapshot, parameters)
    ranking(snapshot, request)           # the same result as ranking items, map classes…

User text (query string, CLI options) is parsed in :meth:`AnalysisRequest.parse` and
nowhere else; what follows takes the parsed request. Only this module knows how the cache
key of a diagnosis is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .dated import NOW, inputs_at
from .diagnostic import Diagnostic, diagnose
from .inputs import Inputs, from_store
from .params import Parameters, make_parameters, parse_day

if TYPE_CHECKING:
    import geopandas as gpd

    from ..catalog import LayerDef
    from ..read.snapshot import Collection, Snapshot
    from ..settings import Settings

MAX_CACHED_ANALYSES = 32
"""Parameter sets whose diagnosis is kept per snapshot; beyond, each is computed anew."""
DIAGNOSTIC_LAYER = "diagnostic_qpv"
DEFAULT_RING_M = 500.0


@dataclass(frozen=True)
class AnalysisRequest:
    """One analysis asked for: the Défi, the ring, the weights and whether answers still
    to be checked count, already parsed and checked (:class:`~.params.Parameters`)."""

    parameters: Parameters
    day: date | None = None
    """The analysis as the data say things stood that day (:mod:`.dated`); None: now."""

    @classmethod
    def parse(cls, *, defi: str | None = None, ring_m: float | str | None = None,
              weights: str | None = None, include: str | None = None,
              settings: Settings | None = None, day: str | None = None) -> AnalysisRequest:
        """The request from user text (query string or CLI options), each value parsed once.

        Parameters
        ----------
        defi : str, optional
            A Défi id; empty or None = every Défi.
        ring_m : float or str, optional
            The ring in metres (``"800"``); empty or None = ``settings.ring_m``.
        weights : str, optional
            ``"need:2,answer:1"``; components not named keep their default weight.
        include : str, optional
            ``a_verifier`` to count the answers still to be checked.
        settings : Settings, optional
            Gives the default ring (500 m without settings).
        day : str, optional
            ``AAAA-MM-JJ``, not in the future: the analysis at that date.

        Raises
        ------
        InvalidParameter
            With the French message the API answers as 400 and the CLI prints.

        Examples
        --------
        >>> AnalysisRequest.parse(defi=" inclusion ", ring_m="1500").ring_m
        1500.0
        """
        default = settings.ring_m if settings is not None else DEFAULT_RING_M
        return cls(make_parameters(defi, ring_m, weights, default_ring_m=default,
                                   include=include), parse_day("date", day))

    @classmethod
    def defaults(cls, settings: Settings) -> AnalysisRequest:
        """Every Défi, the configured ring, the default weights, verified answers only: the
        parameters of the ``diagnostic_qpv`` and ``couverture`` views (nothing to parse)."""
        return cls(Parameters(ring_m=settings.ring_m))

    @property
    def defi(self) -> str | None:
        return self.parameters.defi

    @property
    def ring_m(self) -> float:
        return self.parameters.ring_m

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.parameters.weights)

    @property
    def unverified(self) -> bool:
        return self.parameters.unverified


def _cache_key(request: AnalysisRequest, inputs_key: tuple = NOW) -> tuple:
    p = request.parameters
    return ("analysis", p.defi, p.ring_m, tuple(sorted(p.weights.items())), p.unverified,
            inputs_key)


def run(snapshot: Snapshot, request: AnalysisRequest) -> Diagnostic:
    """The diagnosis of a snapshot for ``request``, computed once per (snapshot, parameters):
    the ranking, the map classes, the layer and the report map of one set of parameters
    share it. At most :data:`MAX_CACHED_ANALYSES` parameter sets are kept per snapshot; an
    edit makes a new snapshot, hence new diagnoses.

    At a date, the inputs are those of that day (:func:`.dated.inputs_at`); two dates with
    the same inputs (nothing dated changed between them) share one diagnosis, and a date
    whose inputs are today's shares today's."""
    if request.day is not None:
        at = inputs_at(snapshot, request.day)
        key = _cache_key(request, at.key)
        inputs: Callable[[], Inputs] = (lambda: from_store(snapshot)) if at.key == NOW \
            else (lambda: at.inputs)
    else:
        key = _cache_key(request)
        inputs = lambda: from_store(snapshot)  # noqa: E731
    cached = snapshot.derived.peek(key)
    if cached is not None:
        return cached

    def compute() -> Diagnostic:
        return diagnose(inputs(), request.parameters)

    if snapshot.derived.count("analysis") >= MAX_CACHED_ANALYSES:
        return compute()
    return snapshot.derived.get(key, compute)


# -- shapes of one diagnosis ------------------------------------------------------------------

def dating(snapshot: Snapshot, request: AnalysisRequest) -> dict[str, Any] | None:
    """What was dated in the inputs of an analysis at a date (None: an analysis of now)."""
    return None if request.day is None else inputs_at(snapshot, request.day).facts


def ranking(snapshot: Snapshot, request: AnalysisRequest) -> list[dict[str, Any]]:
    """Ranking items (``rank``, ``code_qp``, ``score``, ``reasons``…), as
    ``/api/analysis/underserved`` returns them."""
    from .report import items

    return items(run(snapshot, request))


def classes(snapshot: Snapshot, request: AnalysisRequest) -> dict[str, Any]:
    """Choropleth classes of the underserved score (``/api/map/diagnostic-classes``), with
    each QPV's class under ``qpv`` and the Défi under ``defi``."""
    from ..maps.web import score_classes

    rows = ranking(snapshot, request)
    result = score_classes([row.get("score") for row in rows])
    bins = result.pop("bins")
    result["qpv"] = {row["code_qp"]: b for row, b in zip(rows, bins, strict=True)}
    result["defi"] = request.defi
    return result


def diagnostic_frame(snapshot: Snapshot, request: AnalysisRequest,
                     layer: LayerDef) -> gpd.GeoDataFrame:
    """The diagnosis as the ``diagnostic_qpv`` layer's frame (EPSG:4326, typed)."""
    from ..read.frames import typed_frame
    from .report import layer_frame

    return typed_frame(layer_frame(run(snapshot, request)), layer)


def collection(snapshot: Snapshot, request: AnalysisRequest) -> Collection:
    """The ``diagnostic_qpv`` layer computed for ``request`` (``/api/map/diagnostic-export``)."""
    from ..read.snapshot import Collection

    layer = snapshot.layers.get(DIAGNOSTIC_LAYER)
    if layer is None:  # a snapshot without a catalogue: the view knows its layer
        layer = snapshot.collection(DIAGNOSTIC_LAYER).layer
    p = request.parameters
    provenance = {"parameters": {"defi": p.defi, "ring_m": p.ring_m, "weights": dict(p.weights),
                                 "unverified_included": p.unverified}}
    if request.day is not None:  # the analysis at a date says so, and what was dated
        provenance["date"] = dating(snapshot, request)
    return Collection(layer, diagnostic_frame(snapshot, request, layer), provenance)


def coverage_frame(snapshot: Snapshot, request: AnalysisRequest,
                   layer: LayerDef) -> gpd.GeoDataFrame:
    """The ``couverture`` layer's frame: each QPV's part within ``request.ring_m`` of a
    verified ESS answer (EPSG:4326, typed)."""
    import geopandas as gpd
    import numpy as np

    from ..read.frames import typed_frame
    from .coverage import coverage_layer

    inputs = from_store(snapshot)
    verified = inputs.table.take(np.flatnonzero(~inputs.table.unverified))
    cover = coverage_layer(inputs.qpv.geometry, verified, request.ring_m)
    frame = gpd.GeoDataFrame(cover.drop(columns="geometry"),
                             geometry=cover.geometry.to_crs("EPSG:4326"), crs="EPSG:4326")
    return typed_frame(frame, layer)
