"""Domain errors: one small tree, one status map (used by the API and the CLI)."""

from __future__ import annotations


class GeoserviceError(Exception):
    """Base class. ``detail`` is French, for users; ``title`` is short."""

    title = "Erreur"
    slug = "error"

    def __init__(self, detail: str, extra: dict | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}
        """More members of the problem+json body (e.g. the current version on a 412)."""
        self.headers = headers or {}


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


class Unauthorized(GeoserviceError):
    """No credentials, or credentials that are unknown, expired or revoked."""

    title = "Authentification requise"
    slug = "unauthorized"


class Forbidden(GeoserviceError):
    title = "Action non autorisée"
    slug = "forbidden"


class MethodNotAllowed(GeoserviceError):
    title = "Méthode non autorisée"
    slug = "method-not-allowed"


class Conflict(GeoserviceError):
    title = "Conflit"
    slug = "conflict"


class Gone(GeoserviceError):
    title = "Objet supprimé"
    slug = "gone"


class PreconditionFailed(GeoserviceError):
    """The If-Match version is not the current one (someone else wrote in between)."""

    title = "Version périmée"
    slug = "precondition-failed"


class PreconditionRequired(GeoserviceError):
    title = "If-Match requis"
    slug = "precondition-required"


class InvalidFeature(GeoserviceError):
    """A write that breaks the layer's schema; ``extra["errors"]`` names each field."""

    title = "Objet invalide"
    slug = "invalid-feature"


class TooManyRequests(GeoserviceError):
    title = "Trop de requêtes"
    slug = "too-many-requests"


class ServiceUnavailable(GeoserviceError):
    title = "Service momentanément indisponible"
    slug = "unavailable"


STATUS: dict[type[GeoserviceError], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    MethodNotAllowed: 405,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
    InvalidFeature: 422,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
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
