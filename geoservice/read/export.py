"""Writers shared by the API (``f=geojson|csv|gpkg`` on items) and ``geoservice export``.

Every output carries the layer's metadata (publisher, licence, vintage, QPV generation,
provenance):

- GeoJSON: a top-level ``metadata`` member (a foreign member, allowed by RFC 7946 §6.1);
- GeoPackage: the layer description (``gpkg_contents.description``) and the GDAL layer
  metadata (``gpkg_metadata``), one item per field;
- CSV: no comment line (so Excel and CSV readers open it as is); the metadata go to a
  JSON sidecar ``FILE.metadata.json`` (CLI) or the ``Link: rel="describedby"`` header (API).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from .. import csvsafe
from ..errors import InvalidParameter
from .crs import DEFAULT, OutputCrs, project
from .snapshot import Collection, Snapshot

Format = Literal["geojson", "csv", "gpkg"]
FORMATS: tuple[Format, ...] = ("geojson", "csv", "gpkg")
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}
EXTENSIONS = {"geojson": "geojson", "csv": "csv", "gpkg": "gpkg"}
ARRAY_SEPARATOR = "|"
BOM = "\ufeff"


def export_metadata(collection: Collection, crs: OutputCrs = DEFAULT) -> dict[str, Any]:
    """What every export says about itself: who published the data, under which licence,
    its vintage, the QPV generation, its provenance and the CRS of the coordinates."""
    layer = collection.layer
    columns = collection.layer.properties if collection._frame is None \
        else collection.frame.columns  # not typing a frame for this
    if "generation" in columns and len(collection):
        generations = sorted({str(g) for g in collection.frame["generation"].dropna()})
        generation = ", ".join(generations) or None
    else:
        generation = "2024"
    as_of = collection.provenance.get("as_of") if collection.provenance else None
    return {
        **({"as_of": as_of} if as_of else {}),  # read from the history at that instant
        "collection": layer.id,
        "title": layer.title.fr,
        "title_en": layer.title.en,
        "publisher": layer.publisher,
        "licence": layer.licence,
        "licence_url": layer.licence_url,
        "attribution": layer.attribution,
        "vintage": layer.vintage,
        "qpv_generation": generation,
        "crs": crs.uri,
        "provenance": collection.provenance,
        "generated_by": "geoservice",
    }


def _stamped(meta: dict[str, Any]) -> dict[str, Any]:
    return {**meta, "generated_at": now_iso()}


def now_iso() -> str:
    """The current UTC time, RFC 3339, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- GeoJSON -------------------------------------------------------------------------------


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def feature_fragments(collection: Collection, crs: OutputCrs = DEFAULT) -> list[str]:
    """Every feature serialised once per CRS (cached on the collection): paging then only
    joins strings. ``geometry`` is null when the position is unknown."""

    def build() -> list[str]:
        geoms = project(collection.frame.geometry.values, crs)
        texts = shapely.to_geojson(np.asarray(geoms, dtype=object))
        id_field = collection.layer.id_field
        out = []
        for record, text in zip(collection.records, np.atleast_1d(texts), strict=True):
            out.append(f'{{"type":"Feature","id":{dumps(record[id_field])},'
                       f'"geometry":{text if text is not None else "null"},'
                       f'"properties":{dumps(record)}}}')
        return out

    return collection.memo(("geojson", crs.uri), build)


def prepare(collection: Collection) -> Collection:
    """Build what a page or an item needs (frame, id lookup, default GeoJSON)."""
    collection._positions  # noqa: B018 — built and kept
    feature_fragments(collection)
    return collection


def prepared(store: Snapshot, collection_id: str) -> Collection:
    """A collection of the snapshot with what a page or an item needs built (a view is
    computed first): the API calls this in a worker thread when ``store.ready`` says no."""
    return prepare(store.collection(collection_id))


def metadata_json(collection: Collection, crs: OutputCrs = DEFAULT) -> str:
    """:func:`export_metadata` as JSON text, computed once per collection and CRS."""
    return collection.memo(("metadata", crs.uri),
                           lambda: dumps(export_metadata(collection, crs)))


def feature_json(collection: Collection, position: int, crs: OutputCrs = DEFAULT,
                 links: list[dict] | None = None) -> str:
    """One feature as GeoJSON text, with optional links."""
    fragment = feature_fragments(collection, crs)[position]
    if links is None:
        return fragment
    return fragment[:-1] + f',"links":{dumps(links)}}}'


def feature_collection_json(
    collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT,
    members: dict[str, Any] | None = None, serialised: dict[str, str] | None = None,
) -> str:
    """A FeatureCollection as GeoJSON text; ``members`` are added after ``features``
    (``numberMatched``, ``links``…), then ``serialised`` members (JSON text, e.g. a cached
    ``metadata``)."""
    fragments = feature_fragments(collection, crs)
    body = ",".join(fragments[int(p)] for p in positions)
    extra = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in (members or {}).items())
    extra += "".join(f",{dumps(k)}:{v}" for k, v in (serialised or {}).items())
    return f'{{"type":"FeatureCollection","features":[{body}]{extra}}}'


# -- flat tables (CSV, GeoPackage attributes) -----------------------------------------------


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return ARRAY_SEPARATOR.join(str(v) for v in value)
    return value


def _coordinate_columns(crs: OutputCrs) -> tuple[str, str]:
    """Names of the two coordinate columns, in the order the CRS writes them (EPSG:4326
    is latitude first)."""
    if not crs.geographic:
        return ("x", "y")
    return ("lat", "lon") if crs.lat_first else ("lon", "lat")


def to_csv(collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT,
           excel: bool = False) -> str:
    """CSV text: the properties (arrays as ``a|b``), the geometry as WKT in ``crs`` and, for
    point layers, two coordinate columns (``lon``/``lat``, or ``x``/``y`` when projected).

    ``excel=True`` gives the Excel-FR form: UTF-8 BOM, ``;`` separator, decimal comma in
    the coordinate columns.
    """
    positions = np.asarray(list(positions), dtype=int)
    names = list(collection.layer.properties)
    points = collection.layer.geometry_type == "Point"
    geoms = project(collection.frame.geometry.values[positions], crs)
    wkts = shapely.to_wkt(np.asarray(geoms, dtype=object), rounding_precision=-1)
    header = [*names, "wkt"]
    if points:
        header += list(_coordinate_columns(crs))
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(header)
    records = collection.records
    for pos, geom, wkt in zip(positions, np.atleast_1d(geoms), np.atleast_1d(wkts),
                              strict=True):
        row = [_flat(records[pos][name]) for name in names]
        row.append(wkt or "")
        if points:
            coords = ["", ""]
            if geom is not None and not shapely.is_empty(geom):
                coords = [repr(float(geom.x)), repr(float(geom.y))]
                if excel:
                    coords = [c.replace(".", ",") for c in coords]
            row += coords
        writer.writerow(row)
    return (BOM if excel else "") + buffer.getvalue()


def _gpkg_frame(collection: Collection, positions: np.ndarray, crs: OutputCrs
                ) -> gpd.GeoDataFrame:
    """Rows to write, in ``crs`` (GeoPackage stores EPSG:4326 as lon/lat, so the lat/lon
    axis order of EPSG:4326 is not applied here)."""
    records = collection.records
    data = {name: [_flat(records[p][name]) for p in positions]
            for name in collection.layer.properties}
    lonlat = collection.frame.geometry.values[positions]
    geoms = project(lonlat, DEFAULT) if crs.geographic else project(lonlat, crs)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms), crs=crs.epsg),
                             crs=f"EPSG:{crs.epsg}")
    for name, spec in collection.layer.properties.items():
        if spec.type == "integer":
            frame[name] = frame[name].astype("Int64")
        elif spec.type == "number":
            frame[name] = frame[name].astype("Float64")
        elif spec.type == "boolean":
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype(object)
    return frame


def write_gpkg(collection: Collection, positions: Iterable[int], path: Path,
               crs: OutputCrs = DEFAULT) -> None:
    """A GeoPackage with one layer named after the collection, described by its metadata."""
    import pyogrio

    positions = np.asarray(list(positions), dtype=int)
    layer = collection.layer
    meta = _stamped(export_metadata(collection, crs))
    frame = _gpkg_frame(collection, positions, crs)
    description = (f"{layer.title.fr} — {layer.publisher} — {layer.licence} — "
                   f"millésime {layer.vintage} — QPV {meta['qpv_generation']}")
    layer_metadata = {k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                      for k, v in meta.items() if v is not None}
    try:
        pyogrio.write_dataframe(
            frame, path, layer=layer.id, driver="GPKG", geometry_type=layer.geometry_type,
            layer_options={"DESCRIPTION": description, "IDENTIFIER": layer.title.fr},
            dataset_options={"VERSION": "1.2"},  # readable by older GDAL/QGIS without warning
            layer_metadata=layer_metadata,
        )
    except pyogrio.errors.DataSourceError as exc:
        raise InvalidParameter(f"écriture impossible : {path}") from exc


def to_gpkg(collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT) -> bytes:
    """The GeoPackage of :func:`write_gpkg` as bytes (written to a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="geoservice-") as tmp:
        path = Path(tmp) / f"{collection.id}.gpkg"
        write_gpkg(collection, positions, path, crs)
        return path.read_bytes()


def geojson_document(collection: Collection, positions: Iterable[int],
                     crs: OutputCrs = DEFAULT) -> str:
    """A FeatureCollection with its ``metadata`` member (the export form). Outside CRS84
    the file also names its CRS in the (pre-RFC 7946) ``crs`` member, which GDAL and QGIS
    read, EPSG:4326 then being in latitude, longitude order."""
    positions = list(positions)
    members: dict[str, Any] = {
        "numberMatched": len(positions), "numberReturned": len(positions),
        "metadata": _stamped(export_metadata(collection, crs)),
    }
    if not crs.is_crs84:
        members["crs"] = {"type": "name",
                          "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs.epsg}"}}
    return feature_collection_json(collection, positions, crs, members)


def export_file(collection: Collection, fmt: str, path: Path, crs: OutputCrs = DEFAULT,
                bbox: tuple[float, float, float, float] | shapely.Geometry | None = None,
                excel: bool = False) -> int:
    """Write one collection (optionally cut to a lon/lat bbox or polygon, see
    :meth:`Collection.select`) to ``path``; the number of features written. CSV gets a
    ``.metadata.json`` sidecar."""
    if fmt not in FORMATS:
        raise InvalidParameter(f"Format « {fmt} » inconnu (possibles : {', '.join(FORMATS)})")
    if excel and fmt != "csv":
        raise InvalidParameter("--excel ne s'applique qu'au format csv")
    positions = collection.select(bbox=bbox)
    stream = is_stream(path)
    if fmt == "gpkg":
        if stream:  # a GeoPackage is written by seeking: build it aside, then copy
            with tempfile.TemporaryDirectory() as tmp:
                staged = Path(tmp) / "export.gpkg"
                write_gpkg(collection, positions, staged, crs)
                write_bytes(path, staged.read_bytes())
        else:
            if path.exists():
                path.unlink()
            write_gpkg(collection, positions, path, crs)
    elif fmt == "csv":
        write_bytes(path, to_csv(collection, positions, crs, excel=excel).encode("utf-8"))
        if not stream:  # no sidecar beside /dev/stdout or a pipe
            sidecar = path.with_name(path.name + ".metadata.json")
            sidecar.write_text(dumps(_stamped(export_metadata(collection, crs))) + "\n",
                               "utf-8")
    else:
        write_bytes(path, geojson_document(collection, positions, crs).encode("utf-8"))
    return len(positions)


def is_stream(path: Path) -> bool:
    """``-`` (standard output) or an existing non-regular file (``/dev/stdout``, a pipe)."""
    return str(path) == "-" or (path.exists() and not path.is_file())


def write_bytes(path: Path, data: bytes) -> None:
    """Write to ``path``, or to standard output for ``-``."""
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        path.write_bytes(data)
