"""Address search through the national BAN geocoder (GeoCodeJSON), base URL from settings."""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import GeocoderUnavailable, InvalidParameter


def _check_lonlat(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter("lon doit être entre -180 et 180, lat entre -90 et 90")


class Geocoder:
    """Thin client of the BAN API: ``/search/`` and ``/reverse/``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, Any]) -> dict:
        try:
            response = httpx.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GeocoderUnavailable(
                "Le géocodeur d'adresses (BAN) ne répond pas ; réessayez plus tard."
            ) from exc
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise GeocoderUnavailable("Réponse inattendue du géocodeur d'adresses (BAN).")
        return data

    def search(self, q: str, limit: int = 5, lon: float | None = None,
               lat: float | None = None, citycode: str | None = None) -> dict:
        q = q.strip()
        if len(q) < 3 or len(q) > 200:
            raise InvalidParameter("La recherche d'adresse demande entre 3 et 200 caractères.")
        if not 1 <= limit <= 20:
            raise InvalidParameter("limit doit être entre 1 et 20")
        params: dict[str, Any] = {"q": q, "limit": limit}
        if lon is not None and lat is not None:
            _check_lonlat(lon, lat)
            params.update(lon=lon, lat=lat)
        if citycode:
            params["citycode"] = citycode
        return self._get("/search/", params)

    def reverse(self, lon: float, lat: float) -> dict:
        _check_lonlat(lon, lat)
        return self._get("/reverse/", {"lon": lon, "lat": lat})
