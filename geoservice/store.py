"""The in-memory store: every layer loaded once from the GeoPackage, with spatial indexes.

Routes, analysis, exports and the CLI all query through :class:`Collection`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .catalog import LayerDef, load_catalog
from .errors import InvalidParameter, NotFound
from .gpkg import read_layer, read_provenance
from .settings import Settings
from .territory import Territory, get_territory

METRIC_CRS = "EPSG:2154"


@dataclass
class Collection:
    """One layer's features (EPSG:4326) and what it knows about them."""

    layer: LayerDef
    frame: gpd.GeoDataFrame
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.frame = self.frame.reset_index(drop=True)
        ids = self.frame[self.layer.id_field].astype(str)
        self._positions = pd.Series(np.arange(len(ids)), index=ids.values)

    @property
    def id(self) -> str:
        return self.layer.id

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def metric(self) -> gpd.GeoSeries:
        """Geometries in Lambert-93 (EPSG:2154), for distances and areas in metres."""
        return self.frame.geometry.to_crs(METRIC_CRS)

    @cached_property
    def located(self) -> np.ndarray:
        """Positions of the features that have a geometry."""
        geoms = self.frame.geometry.values
        return np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))

    @property
    def extent(self) -> list[float] | None:
        if not len(self.located):
            return None
        return [round(float(v), 7) for v in self.frame.geometry.iloc[self.located].total_bounds]

    def select(
        self,
        bbox: tuple[float, float, float, float] | None = None,
        filters: dict[str, str] | None = None,
    ) -> np.ndarray:
        """Positions of the features matching a lon/lat bbox and equality filters, in order."""
        positions = np.arange(len(self.frame))
        if bbox is not None:
            hits = self.frame.sindex.query(shapely.box(*bbox), predicate="intersects")
            positions = np.sort(hits)
        for name, wanted in (filters or {}).items():
            positions = positions[self._matches(name, wanted, positions)]
        return positions

    def _matches(self, name: str, wanted: str, positions: np.ndarray) -> np.ndarray:
        spec = self.layer.properties.get(name)
        if spec is None or not spec.filterable:
            raise InvalidParameter(f"Filtre inconnu pour {self.id} : « {name} »")
        values = self.frame[name].iloc[positions]
        if spec.type == "array":
            return np.array([wanted in (v or []) for v in values], dtype=bool)
        if spec.type in ("integer", "number"):
            try:
                number = float(wanted)
            except ValueError as exc:
                raise InvalidParameter(f"« {name} » attend un nombre, pas « {wanted} »") from exc
            return (values.astype("Float64") == number).fillna(False).to_numpy(dtype=bool)
        if spec.type == "boolean":
            truth = {"true": True, "1": True, "false": False, "0": False}.get(wanted.lower())
            if truth is None:
                raise InvalidParameter(f"« {name} » attend true ou false, pas « {wanted} »")
            return (values == truth).fillna(False).to_numpy(dtype=bool)
        return (values.astype(str) == wanted).to_numpy(dtype=bool)

    def position(self, feature_id: str) -> int:
        try:
            return int(self._positions[str(feature_id)])
        except KeyError as exc:
            raise NotFound(f"Aucun objet « {feature_id} » dans la collection {self.id}") from exc

    def properties(self, position: int) -> dict[str, Any]:
        row = self.frame.iloc[position]
        return {name: _plain(row[name]) for name in self.layer.properties}


def _plain(value: Any) -> Any:
    """pandas/numpy scalars → JSON-ready Python values (NA → None)."""
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass
class Store:
    """All collections of one territory, loaded once."""

    settings: Settings
    territory: Territory
    collections: dict[str, Collection]

    @classmethod
    def load(cls, settings: Settings) -> Store:
        territory = get_territory(settings.territoire)
        layers = load_catalog(settings.layers_dir)
        provenance = read_provenance(settings.store_path)
        collections = {
            layer_id: Collection(layer, read_layer(settings.store_path, layer),
                                 provenance.get(layer_id, {}))
            for layer_id, layer in layers.items()
        }
        return cls(settings, territory, collections)

    def collection(self, collection_id: str) -> Collection:
        try:
            return self.collections[collection_id]
        except KeyError as exc:
            raise NotFound(f"Collection inconnue : « {collection_id} »") from exc

    def add(self, collection: Collection) -> None:
        """Register a derived collection (e.g. analysis results)."""
        self.collections[collection.id] = collection
