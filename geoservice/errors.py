"""Domain errors: one small tree, one status map (used by the API and the CLI)."""

from __future__ import annotations


class GeoserviceError(Exception):
    """Base class. ``detail`` is French, for users; ``title`` is short."""

    title = "Erreur"
    slug = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidParameter(GeoserviceError):
    title = "Paramètre invalide"
    slug = "invalid-parameter"


class NotFound(GeoserviceError):
    title = "Ressource introuvable"
    slug = "not-found"


class PayloadTooLarge(GeoserviceError):
    title = "Requête trop volumineuse"
    slug = "payload-too-large"


class NotAcceptable(GeoserviceError):
    title = "Format non disponible"
    slug = "not-acceptable"


class UnsupportedMediaType(GeoserviceError):
    title = "Type de contenu non pris en charge"
    slug = "unsupported-media-type"


class ConfigError(GeoserviceError):
    title = "Configuration invalide"
    slug = "config"


class SourceDataError(GeoserviceError):
    """A source file is unreadable, incomplete or not what it claims to be."""

    title = "Données source invalides"
    slug = "source-data"


class StoreEmpty(GeoserviceError):
    title = "Magasin de données vide"
    slug = "store-empty"


class UpstreamUnavailable(GeoserviceError):
    title = "Service externe indisponible"
    slug = "upstream-unavailable"


STATUS: dict[type[GeoserviceError], int] = {
    UpstreamUnavailable: 502,
    InvalidParameter: 400,
    NotFound: 404,
    NotAcceptable: 406,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    SourceDataError: 422,
    ConfigError: 500,
    StoreEmpty: 503,
}


def status_of(error: GeoserviceError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
