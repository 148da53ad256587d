"""OGC API – Features: landing page, conformance, collections."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...store import Collection
from ..deps import CollectionDep, StoreDep
from ..links import base_url, link

router = APIRouter(prefix="/api", tags=["OGC API Features"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
JSON = "application/json"
GEOJSON = "application/geo+json"


@router.get("", operation_id="getLandingPage", summary="Page d'accueil de l'API")
def landing(request: Request, store: StoreDep) -> dict:
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
                 "application/vnd.oai.openapi+json;version=3.0", "Définition OpenAPI"),
            link(f"{root}/docs", "service-doc", "text/html", "Documentation de l'API"),
            link(f"{root}/api/conformance", "conformance", JSON, "Classes de conformité"),
            link(f"{root}/api/collections", "data", JSON, "Collections"),
        ],
    }


@router.get("/conformance", operation_id="getConformanceDeclaration",
            summary="Classes de conformité")
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def collection_document(request: Request, collection: Collection) -> dict:
    root = base_url(request)
    layer = collection.layer
    href = f"{root}/api/collections/{layer.id}"
    doc: dict = {
        "id": layer.id,
        "title": layer.title.fr,
        "description": layer.description.fr,
        "keywords": layer.keywords,
        "itemType": "feature",
        "links": [
            link(href, "self", JSON, layer.title.fr),
            link(f"{href}/items", "items", GEOJSON, "Objets (GeoJSON)"),
            link(layer.licence_url or href, "license", "text/html", layer.licence),
        ],
        "extent": {"spatial": {"bbox": [collection.extent or [-180, -90, 180, 90]],
                               "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
        "geoservice:featureCount": len(collection),
        "geoservice:publisher": layer.publisher,
        "geoservice:licence": layer.licence,
        "geoservice:vintage": layer.vintage,
        "geoservice:provenance": collection.provenance,
        "geoservice:titleEn": layer.title.en,
    }
    return doc


@router.get("/collections", operation_id="getCollections", summary="Liste des collections")
def collections(request: Request, store: StoreDep) -> dict:
    root = base_url(request)
    return {
        "links": [link(f"{root}/api/collections", "self", JSON, "Collections")],
        "collections": [collection_document(request, c) for c in store.collections.values()],
    }


@router.get("/collections/{collectionId}", operation_id="describeCollection",
            summary="Description d'une collection")
def collection(request: Request, collection: CollectionDep) -> dict:
    return collection_document(request, collection)


