"""`geoservice data pull`: replace the reference layers from their sources in one
transaction (refusing lossy inputs), seed editable layers once; `data rollback`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import shapely

from ..catalog import LayerDef, load_catalog, read_authored, validate_feature
from ..editing.upsert import Upserted, upsert
from ..errors import SourceDataError
from ..read.frames import frame_rows
from ..settings import Settings
from ..storage import ReferenceLoad, Storage, open_store
from ..territory import Territory, get_territory
from . import read_communes, read_qpv_2015, read_qpv_2024, read_stations
from .communes import territory_outline
from .ess import SOURCES as OPEN_SOURCES
from .ess import Communes, OpenSource, read_source
from .fetch import Fetcher, Obtained

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
        self.communes: Communes | None = None

    def build(self, layer: LayerDef) -> tuple[gpd.GeoDataFrame, list[Obtained], dict]:
        tolerance = self.settings.max_repair_area_change
        fmt = layer.source.format
        if fmt == "qpv_2024":
            got, table = self.fetcher.qpv_2024(), self.fetcher.indicators_2024()
            frame, facts = read_qpv_2024(got.path, self.territory, tolerance,
                                         table.path if table else None)
            if table is None:
                facts["note"] = ("indicateurs INSEE 2024 non fournis : besoin reporté des "
                                 "QPV 2015")
            return frame, [g for g in (got, table) if g], facts
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
            self.communes = Communes(self.territory, dict(zip(frame["code"], frame["nom"],
                                                              strict=True)))
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


GEOMETRY_REQUIRED = ("qpv_2024", "qpv_2015", "communes", "stations")


def check_not_lossy(layer: LayerDef, frame: gpd.GeoDataFrame, facts: dict,
                    before: dict | None, max_drop: float) -> None:
    """Refuse a reference layer that would lose data: geometries missing or invalid, a layer
    emptied or shrunk by more than ``max_drop``, indicators lost (a cut file)."""
    geoms = frame.geometry.values
    if layer.source.format in GEOMETRY_REQUIRED and len(frame):
        missing = int((shapely.is_missing(geoms) | shapely.is_empty(geoms)).sum())
        if missing:
            raise SourceDataError(f"{layer.id} : {missing} objet(s) sur {len(frame)} sans "
                                  "géométrie dans la source : import refusé")
        invalid = int((~shapely.is_valid(geoms)).sum())
        if invalid:
            raise SourceDataError(f"{layer.id} : {invalid} géométrie(s) invalide(s) après "
                                  "réparation : import refusé")
    if not before:
        return
    previous = int(before.get("feature_count") or 0)
    if previous and not len(frame) and not facts.get("note"):
        raise SourceDataError(f"{layer.id} : la source ne donne plus aucun objet (il y en "
                              f"avait {previous}) : import refusé, le magasin est inchangé")
    if previous and len(frame) < previous * (1 - max_drop):
        raise SourceDataError(
            f"{layer.id} : {len(frame)} objet(s) au lieu de {previous} (baisse de plus de "
            f"{max_drop:.0%}) : import refusé ; relancez avec --allow-shrink si c'est voulu")
    lost = facts.get("without_indicators")
    if lost is not None and before.get("without_indicators") is not None \
            and lost > int(before["without_indicators"]):
        raise SourceDataError(
            f"{layer.id} : {lost} QPV sans indicateurs INSEE au lieu de "
            f"{before['without_indicators']} (fichier d'indicateurs tronqué ?) : import "
            "refusé ; relancez avec --allow-shrink si c'est voulu")


def clean_leftovers(store_dir: Path) -> int:
    """Remove ``.pull-*`` work folders left by a pull that was killed; return how many."""
    removed = 0
    for leftover in store_dir.glob(".pull-*"):
        shutil.rmtree(leftover, ignore_errors=True)
        removed += 1
    return removed


def pull(settings: Settings, progress: Progress | None = None,
         allow_shrink: bool = False) -> dict[str, dict]:
    """Replace the reference layers from the configured sources in one transaction, and
    seed the editable layers that were never seeded. On any error, or if the new data would
    lose data (see :func:`check_not_lossy`), the store stays exactly as it was.

    Returns the provenance record of each layer written.
    """
    say = progress or (lambda _msg: None)
    territory = get_territory(settings.territoire)
    layers = {k: v for k, v in load_catalog(settings.layers_dir).items() if not v.derived}
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    clean_leftovers(settings.store_dir)
    storage = open_store(settings, create=True)
    try:
        storage.upgrade()
        before = storage.features.provenance()
        load = ReferenceLoad()
        with tempfile.TemporaryDirectory(dir=settings.store_dir, prefix=".pull-") as tmp:
            builder = _Builder(settings, territory, Fetcher(settings, territory, Path(tmp)))
            for layer in _build_order(layers):
                say(f"{layer.id} : lecture")
                if layer.authored and before.get(layer.id, {}).get("seeded_at"):
                    continue  # editable and already seeded: a pull never touches it
                frame, obtained, facts = builder.build(layer)
                record = {
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
                if layer.authored:
                    record["seeded_at"] = record["pulled_at"]
                    load.editable[layer.id] = frame_rows(frame, layer)
                else:
                    check_not_lossy(layer, frame, facts, before.get(layer.id),
                                    1.0 if allow_shrink else settings.max_count_drop)
                    load.reference[layer.id] = frame_rows(frame, layer)
                load.provenance[layer.id] = record
                say(f"{layer.id} : {len(frame)} objet(s)")
            opened = read_open_data(layers, builder, say)  # before writing: all or nothing
            say("écriture du magasin")
            storage.features.load(load)
            result = dict(load.provenance)
            for source, (layer, features, record) in opened.items():
                result[f"ess:{source.key}"] = write_open_data(storage, source, layer,
                                                              features, record, say)
    finally:
        storage.close()
    return result


Opened = dict[OpenSource, tuple[LayerDef, list[dict], dict]]


def read_open_data(layers: dict[str, LayerDef], builder: _Builder, say: Progress) -> Opened:
    """The territory's rows of each open ESS source that can be obtained (others skipped,
    and said)."""
    out: Opened = {}
    if builder.communes is None:
        return out
    for source in OPEN_SOURCES:
        layer = layers.get(source.layer)
        url = getattr(builder.settings, source.url_setting) if source.url_setting else None
        got = builder.fetcher.open_data(source.file, url)
        if layer is None or got is None:
            say(f"{source.key} : source non disponible, ignorée")
            continue
        out[source] = (layer, read_source(source, got.path, builder.communes), got.record())
    return out


def write_open_data(storage: Storage, source: OpenSource, layer: LayerDef,
                    features: list[dict], record: dict, say: Progress) -> dict:
    """One source into its editable layer, *to be checked*: one changeset, upserted by the
    source's own id, never over an editor's work (:mod:`geoservice.editing.upsert`)."""
    comment = (f"import de données ouvertes « {source.key} » ({source.publisher}, "
               f"{source.vintage}, {source.licence}) depuis {record['origin']}, "
               f"sha256 {record['sha256'][:12]} : à vérifier par les éditeurs")
    done: Upserted = upsert(storage, layer, features, comment)
    line = f"{len(features)} candidat(s) → {layer.id} : {done.line()}"
    say(f"{source.key} : {line}")
    return {"layer": layer.id, "feature_count": len(features), "line": line,
            "inserted": len(done.inserted), "updated": len(done.updated),
            "unchanged": done.unchanged, "kept": len(done.kept),
            "changeset": done.changeset, **record}


def rollback(settings: Settings) -> dict[str, int]:
    """Put back the reference layers of the previous pull (editable layers untouched)."""
    storage = open_store(settings)
    try:
        return storage.features.rollback()
    finally:
        storage.close()
