"""Writers shared by the API (``f=geojson|csv|gpkg|xlsx|ods|shp`` on items) and
``geoservice export``.

Every output carries the layer's metadata (publisher, licence, vintage, QPV generation,
provenance):

- GeoJSON: a top-level ``metadata`` member (a foreign member, allowed by RFC 7946 §6.1);
- GeoPackage: the layer description (``gpkg_contents.description``) and the GDAL layer
  metadata (``gpkg_metadata``), one item per field;
- CSV: no comment line (so Excel and CSV readers open it as is); the metadata go to a
  JSON sidecar ``FILE.metadata.json`` (CLI) or the ``Link: rel="describedby"`` header (API);
- XLSX and ODS: a « Dictionnaire » sheet (each column's label, type and unit, description,
  source, vintage) and the notes below it (:mod:`geoservice.sheets`);
- Shapefile (zip): the same dictionary as CSV, with the 10-character dBASE field names.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from .. import sheets
from ..errors import InvalidParameter
from .crs import DEFAULT, OutputCrs, project
from .snapshot import Collection, Snapshot

Format = Literal["geojson", "csv", "gpkg", "xlsx", "ods", "shp"]
FORMATS: tuple[Format, ...] = ("geojson", "csv", "gpkg", "xlsx", "ods", "shp")
MEDIA_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "xlsx": sheets.XLSX_TYPE,
    "ods": sheets.ODS_TYPE,
    "shp": "application/x-shapefile+zip",  # a zip of shp, shx, dbf, prj, cpg + dictionary
}
EXTENSIONS = {"geojson": "geojson", "csv": "csv", "gpkg": "gpkg", "xlsx": "xlsx",
              "ods": "ods", "shp": "shp.zip"}
SHEETS = ("xlsx", "ods")


@dataclass(frozen=True)
class Selection:
    """What a reader asked to keep (OGC API – Features Part 6 ``properties``,
    ``skipGeometry``): ``properties`` None keeps every property."""

    properties: tuple[str, ...] | None = None
    geometry: bool = True

    def names(self, collection: Collection) -> list[str]:
        every = list(collection.layer.properties)
        return every if self.properties is None else [n for n in self.properties if n in every]


ALL = Selection()
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
    select: Selection = ALL,
) -> str:
    """A FeatureCollection as GeoJSON text; ``members`` are added after ``features``
    (``numberMatched``, ``links``…), then ``serialised`` members (JSON text, e.g. a cached
    ``metadata``)."""
    if select == ALL:
        fragments = feature_fragments(collection, crs)
        body = ",".join(fragments[int(p)] for p in positions)
    else:
        body = ",".join(selected_fragments(collection, positions, crs, select))
    extra = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in (members or {}).items())
    extra += "".join(f",{dumps(k)}:{v}" for k, v in (serialised or {}).items())
    return f'{{"type":"FeatureCollection","features":[{body}]{extra}}}'


def selected_fragments(collection: Collection, positions: Iterable[int], crs: OutputCrs,
                       select: Selection) -> list[str]:
    """The features of a page with only the selected properties (and no geometry when
    ``skipGeometry``): built for the page, never cached."""
    positions = np.asarray(list(positions), dtype=int)
    names = select.names(collection)
    id_field = collection.layer.id_field
    records = collection.records
    if select.geometry:
        geoms = project(collection.frame.geometry.values[positions], crs)
        texts = list(np.atleast_1d(shapely.to_geojson(np.asarray(geoms, dtype=object))))
    else:
        texts = [None] * len(positions)
    out = []
    for pos, text in zip(positions, texts, strict=True):
        record = records[pos]
        out.append(f'{{"type":"Feature","id":{dumps(record[id_field])},'
                   f'"geometry":{text if text is not None else "null"},'
                   f'"properties":{dumps({n: record[n] for n in names})}}}')
    return out


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


def table(collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT,
          spreadsheet: bool = False, select: Selection = ALL) -> sheets.Table:
    """The features as a flat :class:`~geoservice.sheets.Table`: the properties (labels,
    types and units from the layer YAML), the geometry as WKT in ``crs`` and, for point
    layers, two coordinate columns (``lon``/``lat``, or ``x``/``y`` when projected).

    A spreadsheet (``spreadsheet=True``) gets no WKT column for lines and polygons (a
    polygon's text outgrows a cell): its dictionary says to take a GeoPackage instead.
    """
    positions = np.asarray(list(positions), dtype=int)
    layer = collection.layer
    names = select.names(collection)
    points = layer.geometry_type == "Point" and select.geometry
    geoms = project(collection.frame.geometry.values[positions], crs)
    columns = [sheets.layer_column(layer, name) for name in names]
    meta = export_metadata(collection, crs)
    notes = [f"{layer.title.fr} — {layer.publisher} — licence {layer.licence}"
             + (f" ({layer.licence_url})" if layer.licence_url else "")
             + f" — millésime {layer.vintage}",
             f"Coordonnées : {crs.uri}", f"Produit par geoservice le {now_iso()}"]
    if layer.attribution:
        notes.insert(1, f"Attribution : {layer.attribution}")
    with_wkt = select.geometry and (points or not spreadsheet)
    if with_wkt:
        columns.append(sheets.Column(
            "wkt", "Géométrie (WKT)", "string", description="Géométrie en texte WKT, "
            f"coordonnées dans {crs.uri}", source=meta["publisher"], vintage=layer.vintage))
    elif select.geometry:
        notes.append("Les contours ne tiennent pas dans une cellule : pour la géométrie, "
                     "prendre le GeoPackage (f=gpkg), le GeoJSON ou le Shapefile.")
    if points:
        axes = _coordinate_columns(crs)
        unit = "degrés" if crs.geographic else "m"
        words = {"lon": "Longitude", "lat": "Latitude", "x": "X (est)", "y": "Y (nord)"}
        columns += [sheets.Column(a, words[a], "number", unit, f"Coordonnée dans {crs.uri}",
                                  meta["publisher"], layer.vintage) for a in axes]
    records = collection.records
    wkts = shapely.to_wkt(np.asarray(geoms, dtype=object), rounding_precision=-1) \
        if with_wkt else None
    rows = []
    for i, (pos, geom) in enumerate(zip(positions, np.atleast_1d(geoms), strict=True)):
        row = [records[pos][name] for name in names]
        if with_wkt:
            row.append(np.atleast_1d(wkts)[i] or None)
        if points:
            coords: list[Any] = [None, None]
            if geom is not None and not shapely.is_empty(geom):
                coords = [float(geom.x), float(geom.y)]
            row += coords
        rows.append(row)
    return sheets.Table(sheets.sheet_name(layer.id), columns, rows, notes)


def to_csv(collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT,
           excel: bool = False, select: Selection = ALL) -> str:
    """CSV text of :func:`table`; ``excel=True`` gives the Excel-FR form of
    :func:`geoservice.sheets.to_csv` (BOM, ``;``, decimal comma in every number,
    ``oui``/``non``)."""
    return sheets.to_csv(table(collection, positions, crs, select=select), excel=excel)


def to_sheet(collection: Collection, positions: Iterable[int], fmt: str,
             crs: OutputCrs = DEFAULT, select: Selection = ALL) -> bytes:
    """An XLSX or ODS workbook: the features (typed cells, French labels) and the
    « Dictionnaire » sheet."""
    return sheets.workbook([table(collection, positions, crs, True, select)], fmt)


def _gpkg_frame(collection: Collection, positions: np.ndarray, crs: OutputCrs,
                select: Selection = ALL) -> gpd.GeoDataFrame:
    """Rows to write, in ``crs`` (GeoPackage stores EPSG:4326 as lon/lat, so the lat/lon
    axis order of EPSG:4326 is not applied here)."""
    records = collection.records
    kept = select.names(collection)
    data = {name: [_flat(records[p][name]) for p in positions] for name in kept}
    lonlat = collection.frame.geometry.values[positions]
    geoms = project(lonlat, DEFAULT) if crs.geographic else project(lonlat, crs)
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms), crs=crs.epsg),
                             crs=f"EPSG:{crs.epsg}")
    for name in kept:
        spec = collection.layer.properties[name]
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
               crs: OutputCrs = DEFAULT, select: Selection = ALL) -> None:
    """A GeoPackage with one layer named after the collection, described by its metadata."""
    import pyogrio

    positions = np.asarray(list(positions), dtype=int)
    layer = collection.layer
    meta = _stamped(export_metadata(collection, crs))
    frame = _gpkg_frame(collection, positions, crs, select)
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


def to_gpkg(collection: Collection, positions: Iterable[int], crs: OutputCrs = DEFAULT,
            select: Selection = ALL) -> bytes:
    """The GeoPackage of :func:`write_gpkg` as bytes (written to a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="geoservice-") as tmp:
        path = Path(tmp) / f"{collection.id}.gpkg"
        write_gpkg(collection, positions, path, crs, select)
        return path.read_bytes()


# -- Shapefile --------------------------------------------------------------------------------

SHP_NAME_LENGTH = 10  # a dBASE field name


def short_names(names: Iterable[str], size: int = SHP_NAME_LENGTH) -> dict[str, str]:
    """Each name cut to ``size`` characters, unique without regard to case (dBASE):
    a clash keeps the first and numbers the others (``tx_tot_e_1``).

    >>> short_names(["code_qp", "tx_tot_empl", "tx_tot_eprec"])
    {'code_qp': 'code_qp', 'tx_tot_empl': 'tx_tot_emp', 'tx_tot_eprec': 'tx_tot_epr'}
    >>> short_names(["abcdefghijk1", "abcdefghijk2"])
    {'abcdefghijk1': 'abcdefghij', 'abcdefghijk2': 'abcdefgh_1'}
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        short = name[:size]
        n = 0
        while short.lower() in taken:
            n += 1
            tail = f"_{n}"
            short = name[:size - len(tail)] + tail
        taken.add(short.lower())
        out[name] = short
    return out


def to_shapefile(collection: Collection, positions: Iterable[int],
                 crs: OutputCrs = DEFAULT, select: Selection = ALL) -> bytes:
    """A zipped ESRI Shapefile (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg`` saying
    UTF-8) written by GDAL, in ``crs``, with ``<layer>_dictionnaire.csv`` (Excel-FR): each
    dBASE field (10 characters at most) with its full column name, label, type and unit,
    description, source and vintage. Lists are ``a|b`` text; a text longer than 254
    characters is cut by the format (GeoPackage keeps it whole)."""
    import zipfile

    import pyogrio

    positions = np.asarray(list(positions), dtype=int)
    layer = collection.layer
    frame = _gpkg_frame(collection, positions, crs, select)
    kept = select.names(collection)
    names = short_names(kept)
    frame = frame.rename(columns=names)
    columns = [sheets.layer_column(layer, name) for name in kept]
    rows = [[names[c.name], c.name, c.label, c.kind, c.description, c.source, c.vintage]
            for c in columns]
    notes = table(collection, [], crs).notes + [
        "Shapefile : noms de champs coupés à 10 caractères (voir la colonne champ), textes "
        "coupés à 254 caractères ; le GeoPackage (f=gpkg) garde tout et reste recommandé."]
    header = ["champ", "colonne", "libelle", "type_et_unite", "description", "source",
              "millesime"]
    dictionary = sheets.Table("dictionnaire", [sheets.Column(h, h) for h in header],
                              rows + [[note, "", "", "", "", "", ""] for note in notes])
    geometry_type = {"Point": "Point", "Polygon": "Polygon", "MultiPolygon": "MultiPolygon",
                     "LineString": "LineString", "MultiPoint": "MultiPoint",
                     "MultiLineString": "MultiLineString"}.get(layer.geometry_type, "Unknown")
    with tempfile.TemporaryDirectory(prefix="geoservice-") as tmp:
        path = Path(tmp) / f"{layer.id}.shp"
        try:
            with warnings.catch_warnings():  # texts cut to 254: said in the dictionary
                warnings.filterwarnings("ignore", "Value .* has been truncated",
                                        RuntimeWarning)
                pyogrio.write_dataframe(frame, path, layer=layer.id, driver="ESRI Shapefile",
                                        geometry_type=geometry_type,
                                        layer_options={"ENCODING": "UTF-8"})
        except pyogrio.errors.DataSourceError as exc:  # pragma: no cover - disk full
            raise InvalidParameter(f"écriture du Shapefile impossible : {exc}") from exc
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, part.name)
            archive.writestr(f"{layer.id}_dictionnaire.csv",
                             sheets.to_csv(dictionary, excel=True).encode("utf-8"))
        return buffer.getvalue()


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
    members.update(crs_member(crs))
    return feature_collection_json(collection, positions, crs, members)


def crs_member(crs: OutputCrs) -> dict[str, Any]:
    """Outside CRS84, the GeoJSON 2008 ``crs`` member GDAL and QGIS read (a foreign member
    for RFC 7946, which knows only CRS84): a Lambert-93 file saved from the API is placed
    where it belongs, not read as WGS 84. Empty in CRS84."""
    if crs.is_crs84:
        return {}
    return {"crs": {"type": "name",
                    "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs.epsg}"}}}


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
    elif fmt in SHEETS:
        write_bytes(path, to_sheet(collection, positions, fmt, crs))
    elif fmt == "shp":
        write_bytes(path, to_shapefile(collection, positions, crs))
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
