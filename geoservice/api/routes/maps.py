"""Routes: what the web map needs (configuration, choropleth classes) and folium report maps.

Thin: the query's ``defi``, ``ring_m`` and ``include`` are parsed once into an
:class:`~geoservice.analysis.service.AnalysisRequest`, and the analysis entry does the rest.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from ...analysis import service
from ...analysis.service import AnalysisRequest
from ...errors import InvalidParameter
from ...maps.report import report_map
from ...maps.web import map_config
from ...settings import Settings
from ..deps import DateQuery, DefiQuery, IncludeQuery, RingQuery, SettingsDep, SnapshotDep
from ..http import only
from ..problems import problem_response
from ..security import report_csp

router = APIRouter(prefix="/api", tags=["maps"])

BAD = {400: problem_response("Paramètre invalide")}
BAD_OR_UNKNOWN = {**BAD, 404: problem_response("QPV inconnu")}


@router.get("/map/config", operation_id="getMapConfig", dependencies=[only()],
            summary="Configuration de la carte web (couches, styles, fond, Défis)")
def config(store: SnapshotDep, settings: SettingsDep) -> dict:
    return map_config(store, settings)


@router.get("/map/diagnostic-classes", operation_id="getDiagnosticClasses",
            dependencies=[only("defi", "ring_m", "include", "date")],
            summary="Classes (mapclassify) du score de sous-desserte, par QPV", responses=BAD)
def classes(store: SnapshotDep, settings: SettingsDep,
            defi: DefiQuery = None,
            ring_m: RingQuery = None,
            include: IncludeQuery = None, date: DateQuery = None) -> dict:
    request = AnalysisRequest.parse(defi=defi, ring_m=ring_m, include=include, settings=settings,
                                    day=date)
    return service.classes(store, request)


DIAGNOSTIC_FORMATS = ("geojson", "gpkg", "xlsx", "ods", "shp")


@router.get("/map/diagnostic-export", operation_id="getDiagnosticExport",
            dependencies=[only("defi", "ring_m", "f", "include", "crs", "date")],
            summary="Diagnostic des QPV pour un Défi : GeoJSON, GeoPackage, XLSX, ODS ou "
                    "Shapefile zippé",
            responses={200: {"content": {
                "application/geo+json": {}, "application/geopackage+sqlite3": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "application/vnd.oasis.opendocument.spreadsheet": {},
                "application/x-shapefile+zip": {}}}, **BAD})
def diagnostic_export(store: SnapshotDep, settings: SettingsDep,
                      defi: DefiQuery = None,
                      ring_m: RingQuery = None,
                      f: Annotated[str, Query(
                          description="geojson, gpkg, xlsx, ods (avec la feuille "
                                      "« Dictionnaire ») ou shp (Shapefile zippé)",
                          json_schema_extra={"enum": list(DIAGNOSTIC_FORMATS)})] = "geojson",
                      include: IncludeQuery = None,
                      crs: Annotated[str | None, Query(
                          description="Système de coordonnées (CRS84 par défaut, EPSG:2154…)"
                      )] = None,
                      date: DateQuery = None,
                      ) -> Response:
    from ...read import export
    from ...read.crs import parse_crs

    if f not in DIAGNOSTIC_FORMATS:
        raise InvalidParameter(f"Format inconnu : « {f} » ({', '.join(DIAGNOSTIC_FORMATS)})")
    output_crs = parse_crs(crs)
    request = AnalysisRequest.parse(defi=defi, ring_m=ring_m, include=include, settings=settings,
                                    day=date)
    collection = service.collection(store, request)
    positions = range(len(collection))
    when = f"_au_{request.day.isoformat()}" if request.day else ""
    name = f"diagnostic_qpv_{request.defi or 'tous'}{when}.{export.EXTENSIONS[f]}"
    if f == "geojson":
        body: bytes | str = export.geojson_document(collection, positions, output_crs)
    elif f in export.SHEETS:
        body = export.to_sheet(collection, positions, f, output_crs)
    elif f == "shp":
        body = export.to_shapefile(collection, positions, output_crs)
    else:
        body = export.to_gpkg(collection, positions, output_crs)
    return Response(body, media_type=export.MEDIA_TYPES[f],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Crs": f"<{output_crs.uri}>"})


def _html(document: str, settings: Settings) -> HTMLResponse:
    return HTMLResponse(document, headers={"Content-Security-Policy": report_csp(settings)})


@router.get("/maps/qpv/{code_qp}.html", operation_id="getQpvReportMap",
            dependencies=[only("ring_m")],
            response_class=HTMLResponse,
            summary="Carte autonome (folium) d'un QPV, de son anneau et de l'ESS autour",
            responses=BAD_OR_UNKNOWN)
def qpv_map(store: SnapshotDep, settings: SettingsDep,
            code_qp: Annotated[str, Path(description="Code QPV 2024, ex. QN03107M")],
            ring_m: RingQuery = None) -> HTMLResponse:
    request = AnalysisRequest.parse(ring_m=ring_m, settings=settings)
    return _html(report_map(store, settings, code_qp=code_qp, request=request), settings)


@router.get("/maps/territoire.html", operation_id="getTerritoryReportMap",
            dependencies=[only()],
            response_class=HTMLResponse,
            summary="Carte autonome (folium) de tous les QPV du territoire et de l'ESS")
def territory_map(store: SnapshotDep, settings: SettingsDep) -> HTMLResponse:
    return _html(report_map(store, settings), settings)
