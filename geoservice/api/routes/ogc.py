"""OGC API – Features Parts 1 and 2 (and Part 3 queryables): landing page, conformance,
collections, items, one item, queryables. Parameters are parsed in ``api/params.py``,
features serialised in ``export.py``; routes only assemble the answer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

import numpy as np
from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from ...agenda import occurrences  # noqa: F401 - registers the events' datetime matcher
from ...editing.merge import merged_into
from ...errors import InvalidParameter, NotFound
from ...read import export
from ...read.crs import CRS84, SUPPORTED, OutputCrs
from ...read.model import collection_from
from ...read.snapshot import Collection
from ...storage.base import stamp
from ..auth import optional_caller
from ..deps import CollectionDep, FeatureQueryDep, ItemsQueryDep, SnapshotDep, services_of
from ..headers import etag
from ..http import JSON_ONLY
from ..links import base_url, link
from ..ogc_schemas import (
    COLLECTION,
    COLLECTIONS,
    ERRORS,
    FEATURE_RESPONSES,
    ITEMS_RESPONSES,
    LANDING,
    QUERYABLES,
    json_ok,
)
from ..ogc_schemas import (
    CONFORMANCE as CONFORMANCE_SCHEMA,
)
from ..params import FEATURE_PARAMETERS, ITEMS_PARAMETERS, sortable

router = APIRouter(prefix="/api", tags=["OGC API Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    # Part 5 (schemas): /collections/{id}/schema, properties at the top with x-ogc-role
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    # Part 4 (create, replace, update, delete) on editable collections, with ETags
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    # sortby (Part 8, draft) and properties/skipGeometry (Part 6, draft) on items
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-features-8/1.0/conf/features-sorting",
    "http://www.opengis.net/spec/ogcapi-features-6/1.0/conf/property-selection",
]
JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
SORTABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/sortables"
GREGORIAN = "http://www.opengis.net/def/uri/ISO-8601/0/Gregorian"
FORMAT_TITLES = {"geojson": "GeoJSON", "csv": "CSV", "gpkg": "GeoPackage", "xlsx": "XLSX",
                 "ods": "ODS", "shp": "Shapefile (zip)"}
# A page's self/alternate links name these (every page of a layer is fetched by the web map:
# the spreadsheet and Shapefile forms are linked from the collection, not from each page)
PAGE_FORMATS = ("geojson", "csv", "gpkg")
FORMAT_PARAM = {"geojson": "json", "csv": "csv", "gpkg": "gpkg", "xlsx": "xlsx", "ods": "ods",
                "shp": "shp"}
UNDATED_HEADER = "Geoservice-Number-Undated"
"""With ``datetime``: features left out because their dates do not say (all formats)."""
AS_OF_HEADER = "Geoservice-As-Of"
"""With ``as_of``: the instant the data are read at (also in the metadata of exports)."""


# clients such as OWSLib add a trailing slash
@router.get("/", include_in_schema=False, dependencies=[JSON_ONLY])
@router.get("", operation_id="getLandingPage", summary="Page d'accueil de l'API",
            dependencies=[JSON_ONLY],
            responses=json_ok(LANDING))
def landing(request: Request, store: SnapshotDep) -> dict:
    root = base_url(request)
    return {
        "title": f"geoservice — ESS et QPV, {store.territory.nom}",
        "description": (
            "Géo-service de l'économie sociale et solidaire : QPV 2024, lieux totems, "
            "hébergement, accompagnement, projets et besoins, en OGC API – Features."
        ),
        "links": [
            link(f"{root}/api", "self", JSON, "Cette page"),
            link(f"{root}/openapi.json", "service-desc",
                 "application/vnd.oai.openapi+json;version=3.1", "Définition OpenAPI"),
            link(f"{root}/docs", "service-doc", "text/html", "Documentation de l'API"),
            link(f"{root}/api/conformance", "conformance", JSON, "Classes de conformité"),
            link(f"{root}/api/collections", "data", JSON, "Collections"),
        ],
    }


@router.get("/conformance", operation_id="getConformanceDeclaration", dependencies=[JSON_ONLY],
            summary="Classes de conformité", responses=json_ok(CONFORMANCE_SCHEMA))
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def collection_document(request: Request, collection: Collection) -> dict:
    root = base_url(request)
    layer = collection.layer
    href = f"{root}/api/collections/{layer.id}"
    extent: dict = {"spatial": {"bbox": [collection.extent or [-180, -90, 180, 90]],
                                "crs": CRS84}}
    temporal = collection.temporal_extent
    if temporal is not None:
        extent["temporal"] = {"interval": [temporal], "trs": GREGORIAN}
    items_links = [
        link(f"{href}/items" + ("" if fmt == "geojson" else f"?f={fmt}"), "items",
             export.MEDIA_TYPES[fmt].split(";")[0], f"Objets ({FORMAT_TITLES[fmt]})")
        for fmt in export.FORMATS
    ]
    doc: dict = {
        "id": layer.id,
        "title": layer.title.fr,
        "description": layer.description.fr,
        "keywords": layer.keywords,
        "itemType": "feature",
        "links": [
            link(href, "self", JSON, layer.title.fr),
            *items_links,
            link(f"{href}/queryables", QUERYABLES_REL, SCHEMA_JSON, "Propriétés filtrables"),
            link(f"{href}/schema", SCHEMA_REL, SCHEMA_JSON,
                 "Schéma des objets (OGC API – Features Part 5)"),
            link(f"{href}/sortables", SORTABLES_REL, SCHEMA_JSON, "Propriétés triables"),
            link(layer.licence_url or href, "license", "text/html", layer.licence),
        ],
        "extent": extent,
        "crs": list(SUPPORTED),
        "storageCrs": CRS84,
        "geoservice:featureCount": len(collection),
        "geoservice:publisher": layer.publisher,
        "geoservice:licence": layer.licence,
        "geoservice:vintage": layer.vintage,
        "geoservice:provenance": collection.provenance,
        "geoservice:titleEn": layer.title.en,
    }
    if layer.temporal_field:
        doc["geoservice:temporalField"] = layer.temporal_field
    if layer.temporal_period is not None:
        doc["geoservice:temporalPeriod"] = [layer.temporal_period.start,
                                            layer.temporal_period.end]
    return doc


@router.get("/collections", operation_id="getCollections", summary="Liste des collections",
            dependencies=[JSON_ONLY],
            responses=json_ok(COLLECTIONS))
def collections(request: Request, store: SnapshotDep) -> dict:
    root = base_url(request)
    return {
        "links": [link(f"{root}/api/collections", "self", JSON, "Collections")],
        "collections": [collection_document(request, c) for c in store.collections.values()],
        "crs": list(SUPPORTED),
    }


@router.get("/collections/{collectionId}", operation_id="describeCollection",
            dependencies=[JSON_ONLY],
            summary="Description d'une collection",
            responses={**json_ok(COLLECTION), 404: ERRORS[404]})
def collection(request: Request, collection: CollectionDep) -> dict:
    return collection_document(request, collection)


# -- queryables ---------------------------------------------------------------------------

_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number",
               "boolean": "boolean", "date": "string"}


def queryables_document(request: Request, collection: Collection) -> dict:
    """JSON Schema of the properties usable as ``name=value`` filters on items."""
    layer = collection.layer
    href = f"{base_url(request)}/api/collections/{layer.id}/queryables"
    properties: dict = {}
    for name, spec in layer.properties.items():
        if not spec.filterable:
            continue
        if spec.type == "array":
            items: dict = {"type": "string"}
            if spec.items_enum:
                items["enum"] = spec.items_enum
            schema: dict = {"type": "array", "items": items,
                            "description": "Filtre : la liste contient la valeur donnée"}
        else:
            schema = {"type": _JSON_TYPES[spec.type]}
            if spec.enum:
                schema["enum"] = spec.enum
            if spec.type == "date":
                schema["pattern"] = r"^\d{4}(-\d{2}(-\d{2})?)?$"
        schema["title"] = spec.label.fr
        if name == layer.temporal_field:
            schema["x-ogc-role"] = "primary-instant"
        period = layer.temporal_period
        if period is not None and name in (period.start, period.end):
            schema["x-ogc-role"] = "primary-interval-start" if name == period.start \
                else "primary-interval-end"
        if name == layer.id_field:
            schema["x-ogc-role"] = "id"
        properties[name] = schema
    properties["geometry"] = {"format": f"geometry-{layer.geometry_type.lower()}",
                              "x-ogc-role": "primary-geometry"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "type": "object",
        "title": layer.title.fr,
        "properties": properties,
        "additionalProperties": False,
    }


@router.get("/collections/{collectionId}/queryables", operation_id="getQueryables",
            dependencies=[JSON_ONLY],
            summary="Propriétés filtrables d'une collection (JSON Schema)",
            responses={**json_ok(QUERYABLES, SCHEMA_JSON), 404: ERRORS[404]})
def queryables(request: Request, collection: CollectionDep) -> Response:
    return Response(export.dumps(queryables_document(request, collection)),
                    media_type=SCHEMA_JSON)


@router.get("/collections/{collectionId}/sortables", operation_id="getSortables",
            dependencies=[JSON_ONLY],
            summary="Propriétés sur lesquelles trier (sortby, OGC API – Features Part 8)",
            responses={**json_ok(QUERYABLES, SCHEMA_JSON), 404: ERRORS[404]})
def sortables(request: Request, collection: CollectionDep) -> Response:
    """Les propriétés filtrables, sauf les listes : celles que sortby accepte."""
    document = queryables_document(request, collection)
    keep = set(sortable(collection))
    document["properties"] = {k: v for k, v in document["properties"].items() if k in keep}
    document["$id"] = document["$id"].rsplit("/", 1)[0] + "/sortables"
    return Response(export.dumps(document), media_type=SCHEMA_JSON)


# -- items ----------------------------------------------------------------------------------


def _href(path: str, params: dict[str, str]) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _download_headers(collection: Collection, fmt: str, crs: OutputCrs, name: str,
                      request: Request) -> dict[str, str]:
    headers = {"Content-Crs": f"<{crs.uri}>"}
    filename = f"{name}.{export.EXTENSIONS[fmt]}"
    if fmt == "geojson":
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        described = f"{base_url(request)}/api/collections/{collection.id}"
        headers["Link"] = f'<{described}>; rel="describedby"; type="{JSON}"'
    return headers


def _body(collection: Collection, fmt: str, positions, crs: OutputCrs, excel: bool,
          select: export.Selection) -> bytes | str:
    """A download (GeoJSON is assembled by the routes)."""
    if fmt == "csv":
        return export.to_csv(collection, positions, crs, excel=excel, select=select)
    if fmt in export.SHEETS:
        return export.to_sheet(collection, positions, fmt, crs, select)
    if fmt == "shp":
        return export.to_shapefile(collection, positions, crs, select)
    return export.to_gpkg(collection, positions, crs, select)


@router.get("/collections/{collectionId}/items", operation_id="getFeatures",
            summary="Objets d'une collection (filtres, pages, formats, CRS)",
            response_class=Response, responses=ITEMS_RESPONSES,
            openapi_extra={"parameters": ITEMS_PARAMETERS})
async def items(request: Request, collection: CollectionDep, query: ItemsQueryDep,
                store: SnapshotDep) -> Response:
    # async: the GeoJSON path only joins cached strings (no thread hop); files go to a thread.
    if query.as_of is not None:
        collection = await _as_of(request, collection, query.as_of)
    positions = collection.select(query.bbox, query.filters)
    if query.cql is not None:
        matched_cql = await run_in_threadpool(store.filter_positions, collection, query.cql,
                                              query.as_of is None)
        positions = positions[np.isin(positions, matched_cql)]
    undated = None
    if query.interval is not None:
        positions, undated = collection.in_time(query.interval, positions,
                                                request.query_params.get("datetime"))
    if query.sortby:
        positions = await run_in_threadpool(collection.sort, positions, query.sortby)
    matched = len(positions)
    offset = min(query.offset, matched)
    page = positions[offset:offset + query.limit]
    path = f"{base_url(request)}/api/collections/{collection.id}/items"
    params = dict(request.query_params)
    links = []
    for fmt in PAGE_FORMATS if query.fmt in PAGE_FORMATS else (*PAGE_FORMATS, query.fmt):
        rel = "self" if fmt == query.fmt else "alternate"
        links.append(link(_href(path, {**params, "f": FORMAT_PARAM[fmt]}), rel,
                          export.MEDIA_TYPES[fmt].split(";")[0],
                          f"Cette page en {FORMAT_TITLES[fmt]}"))
    if offset + len(page) < matched:
        links.append(link(_href(path, {**params, "offset": str(offset + len(page)),
                                       "limit": str(query.limit)}),
                          "next", GEOJSON, "Page suivante"))
    if offset > 0:
        links.append(link(_href(path, {**params, "offset": str(max(0, offset - query.limit)),
                                       "limit": str(query.limit)}),
                          "prev", GEOJSON, "Page précédente"))
    links.append(link(f"{base_url(request)}/api/collections/{collection.id}", "collection",
                      JSON, collection.layer.title.fr))
    members = {"numberMatched": matched, "numberReturned": len(page),
               "timeStamp": export.now_iso(), "links": links, **export.crs_member(query.crs)}
    headers = _download_headers(collection, query.fmt, query.crs, collection.id, request)
    if query.as_of is not None:
        _as_of_headers(headers, collection)
    if undated is not None:  # left out: their dates do not say (docs/temps.md)
        members["numberUndated"] = undated
        headers[UNDATED_HEADER] = str(undated)
    if query.fmt != "geojson":
        headers["Link"] += "".join(f', <{lk["href"]}>; rel="{lk["rel"]}"'
                                   for lk in links if lk["rel"] in ("next", "prev"))
        headers["OGC-NumberMatched"] = str(matched)
    if query.fmt == "geojson":
        body = export.feature_collection_json(
            collection, page, query.crs, members,
            {"metadata": export.metadata_json(collection, query.crs)}, query.select)
    else:
        body = await run_in_threadpool(_body, collection, query.fmt, page, query.crs,
                                       query.excel, query.select)
    return Response(body, media_type=export.MEDIA_TYPES[query.fmt], headers=headers)


async def _moved(request: Request, collection: Collection, feature_id: str
                 ) -> Response | None:
    """A feature merged into another (same place): 308 to the survivor, for everyone, so
    links and exports keep working (looked up only for a missing feature)."""
    editing = services_of(request).editing
    if editing is None or not collection.layer.editable:
        return None
    survivor = await run_in_threadpool(merged_into, editing.storage, collection.id,
                                       feature_id)
    if survivor is None:
        return None
    href = (f"{base_url(request)}/api/collections/{collection.id}/items/"
            f"{quote(survivor, safe='')}")
    if request.url.query:
        href += "?" + request.url.query
    return Response(status_code=308, headers={"Location": href})



async def _as_of(request: Request, collection: Collection, instant: datetime) -> Collection:
    """The collection as recorded at ``instant`` (history; an account is needed)."""
    editing = services_of(request).editing
    if editing is None:
        raise InvalidParameter("as_of : ce serveur ne lit pas l'historique (réplique en "
                               "lecture seule)")
    caller = await optional_caller(request)
    data = await run_in_threadpool(editing.as_of, collection.id, instant, caller)
    found = collection_from(collection.layer, data)
    found.provenance = {**found.provenance, "as_of": stamp(instant)}
    return found


def _as_of_headers(headers: dict[str, str], collection: Collection) -> None:
    headers[AS_OF_HEADER] = collection.provenance["as_of"]
    headers["Cache-Control"] = "private, no-store"


async def _gone(request: Request, collection: Collection, feature_id: str) -> None:
    """A feature missing from the snapshot may be a deleted one: a caller with an account
    gets 410 and its last version (looked up only then, off the common path)."""
    editing = services_of(request).editing
    if editing is None:
        return
    caller = await optional_caller(request)
    if caller is not None:
        await run_in_threadpool(editing.gone, collection.id, feature_id, caller)


@router.get("/collections/{collectionId}/items/{featureId:path}", operation_id="getFeature",
            summary="Un objet d'une collection", response_class=Response,
            responses=FEATURE_RESPONSES, openapi_extra={"parameters": FEATURE_PARAMETERS})
async def feature(
    request: Request,
    collection: CollectionDep,
    featureId: Annotated[str, Path(  # noqa: N803
        description="Identifiant de l'objet (valeur du champ identifiant de la couche ; "
                    "peut contenir « / », ex. node/123)", examples=["QN03107M"])],
    query: FeatureQueryDep,
) -> Response:
    if query.as_of is not None:
        collection = await _as_of(request, collection, query.as_of)
        try:
            position = collection.position(featureId)
        except NotFound as exc:
            raise NotFound(f"Aucun objet « {featureId} » dans {collection.id} au "
                           f"{collection.provenance['as_of']}") from exc
    else:
        try:
            position = collection.position(featureId)
        except NotFound:
            moved = await _moved(request, collection, featureId)
            if moved is not None:
                return moved
            await _gone(request, collection, featureId)
            raise
    root = base_url(request)
    href = f"{root}/api/collections/{collection.id}/items/{quote(featureId, safe='')}"
    name = f"{collection.id}-{quote(featureId, safe='')}".replace("%", "_")
    headers = _download_headers(collection, query.fmt, query.crs, name, request)
    if query.as_of is not None:
        _as_of_headers(headers, collection)
    elif collection.versions is not None:
        headers["ETag"] = etag(int(collection.versions[position]))
    if query.fmt != "geojson":
        body = await run_in_threadpool(_body, collection, query.fmt, [position], query.crs,
                                       query.excel, query.select)
        return Response(body, media_type=export.MEDIA_TYPES[query.fmt], headers=headers)
    params = dict(request.query_params)
    links = [
        link(_href(href, {**params, "f": FORMAT_PARAM[fmt]}),
             "self" if fmt == "geojson" else "alternate",
             export.MEDIA_TYPES[fmt].split(";")[0], f"Cet objet en {FORMAT_TITLES[fmt]}")
        for fmt in PAGE_FORMATS
    ]
    links.append(link(f"{root}/api/collections/{collection.id}", "collection", JSON,
                      collection.layer.title.fr))
    if query.select == export.ALL:
        body = export.feature_json(collection, position, query.crs, links)
    else:
        body = export.selected_fragments(collection, [position], query.crs, query.select)[0]
        body = body[:-1] + f',"links":{export.dumps(links)}}}'
    if not query.crs.is_crs84:
        body = body[:-1] + "," + export.dumps(export.crs_member(query.crs))[1:]
    staff = None if query.as_of is not None else \
        await _staff_fields(request, collection, featureId, position)
    if staff is not None:  # an editor's read: with what the public never sees
        feature = json.loads(body)
        wanted = query.select.properties
        feature["properties"].update(
            staff if wanted is None else {k: v for k, v in staff.items() if k in wanted})
        body = export.dumps(feature)
        headers["Cache-Control"] = "private, no-store"
    return Response(body, media_type=GEOJSON, headers=headers)


async def _staff_fields(request: Request, collection: Collection, feature_id: str,
                        position: int) -> dict | None:
    """The staff-only properties for a caller who may edit the feature (only layers that
    have some ask who calls)."""
    editing = services_of(request).editing
    layer = editing.layers.get(collection.id) if editing is not None else None
    if editing is None or layer is None or not layer.staff_only \
            or collection.versions is None:
        return None
    caller = await optional_caller(request)
    version = int(collection.versions[position])
    return await run_in_threadpool(editing.staff_fields, collection.id, feature_id, caller,
                                   version)
