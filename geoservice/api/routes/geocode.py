"""Address search: a proxy to the configured BAN geocoder (the map calls only our API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...spatial.geocoder import Geocoder
from ..deps import AsciiCoordinates, SettingsDep
from ..http import only

router = APIRouter(prefix="/api/geocode", tags=["Géocodage"])


@router.get("/search", operation_id="geocodeSearch", dependencies=[only("q", "limit")],
            summary="Recherche d'adresse (BAN, GeoCodeJSON avec score)")
def search(
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=3, max_length=200, description="Adresse recherchée")],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict:
    return Geocoder(settings.ban_url).search(q, limit=limit)


@router.get("/reverse", operation_id="geocodeReverse", summary="Adresse la plus proche (BAN)",
            dependencies=[AsciiCoordinates, only("lon", "lat")])
def reverse(
    settings: SettingsDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict:
    return Geocoder(settings.ban_url).reverse(lon, lat)
