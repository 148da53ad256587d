"""`geoservice data pull`: build every layer from its source into a new store, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import shapely

from .catalog import LayerDef, load_catalog, read_authored, validate_feature
from .errors import SourceDataError
from .gpkg import write_store
from .settings import Settings
from .sources import read_communes, read_qpv_2015, read_qpv_2024, read_stations
from .sources.communes import territory_outline
from .sources.fetch import Fetcher, Obtained
from .territory import Territory, get_territory

Progress = Callable[[str], None]


def _empty(layer: LayerDef) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({name: [] for name in layer.properties},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def authored_frame(layers_dir: Path, layer: LayerDef, territory: Territory) -> gpd.GeoDataFrame:
    """Project-authored features of one territory, checked against the layer schema."""
    data = read_authored(layers_dir, layer)
    features = [f for f in data.get("features", [])
                if (f.get("properties") or {}).get("territoire", territory.id) == territory.id]
    for feature in features:
        problems = validate_feature(layer, feature)
        if problems:
            fid = (feature.get("properties") or {}).get(layer.id_field)
            raise SourceDataError(f"{layer.source.file} : {fid} : {problems[0]}")
    if not features:
        return _empty(layer)
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    for name in layer.properties:
        if name not in frame.columns:
            frame[name] = None
    return frame


class _Builder:
    def __init__(self, settings: Settings, territory: Territory, fetcher: Fetcher) -> None:
        self.settings = settings
        self.territory = territory
        self.fetcher = fetcher
        self.outline: shapely.Geometry | None = None

    def build(self, layer: LayerDef) -> tuple[gpd.GeoDataFrame, list[Obtained], dict]:
        tolerance = self.settings.max_repair_area_change
        fmt = layer.source.format
        if fmt == "qpv_2024":
            got = self.fetcher.qpv_2024()
            frame, facts = read_qpv_2024(got.path, self.territory, tolerance)
            return frame, [got], facts
        if fmt == "qpv_2015":
            contours, table = self.fetcher.qpv_2015(), self.fetcher.indicators()
            if contours is None:
                return _empty(layer), [], {"note": "aucune source configurée"}
            frame, facts = read_qpv_2015(
                contours.path, table.path if table else None, self.territory, tolerance)
            return frame, [g for g in (contours, table) if g], facts
        if fmt == "communes":
            got = self.fetcher.communes()
            frame, facts = read_communes(got.path, self.territory, tolerance)
            self.outline = territory_outline(frame)
            return frame, [got], facts
        if fmt == "stations":
            got = self.fetcher.stations()
            if got is None or self.outline is None:
                return _empty(layer), [], {"note": "aucune source configurée pour ce territoire"}
            frame, facts = read_stations(got.path, self.outline)
            return frame, [got], facts
        frame = authored_frame(self.settings.layers_dir, layer, self.territory)
        path = self.settings.layers_dir / str(layer.source.file)
        return frame, [Obtained(path, f"layers/{layer.source.file}")], {}


def _build_order(layers: dict[str, LayerDef]) -> list[LayerDef]:
    # communes first: the territory outline filters the stations
    return sorted(layers.values(), key=lambda lay: lay.source.format != "communes")


def pull(settings: Settings, progress: Progress | None = None) -> dict[str, dict]:
    """Fill the store from the configured sources. On any error the previous store stays.

    Returns the provenance record of each layer.
    """
    say = progress or (lambda _msg: None)
    territory = get_territory(settings.territoire)
    layers = {k: v for k, v in load_catalog(settings.layers_dir).items() if not v.derived}
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    frames: dict[str, gpd.GeoDataFrame] = {}
    provenance: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(dir=settings.store_dir, prefix=".pull-") as tmp:
        workdir = Path(tmp)
        builder = _Builder(settings, territory, Fetcher(settings, territory, workdir))
        for layer in _build_order(layers):
            say(f"{layer.id} : lecture")
            frame, obtained, facts = builder.build(layer)
            frames[layer.id] = frame
            provenance[layer.id] = {
                "layer": layer.id,
                "territoire": territory.id,
                "sources": [o.record() for o in obtained],
                "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "feature_count": int(len(frame)),
                "publisher": layer.publisher,
                "licence": layer.licence,
                "vintage": layer.vintage,
                **facts,
            }
            say(f"{layer.id} : {len(frame)} objet(s)")
        say("écriture du magasin")
        staged = workdir / "store.gpkg"
        write_store(staged, layers, frames, provenance)
        os.replace(staged, settings.store_path)
    return provenance
