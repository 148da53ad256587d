"""The HTTP headers the domain's data becomes, in one place: ``ETag`` and ``If-Match``
(optimistic locking), ``Allow`` (the methods a caller may use), ``Retry-After`` (the wait a
rate limit gives) and ``WWW-Authenticate`` (the scheme a 401 expects).

The domain (editing, proposals, imports, auth) never sees a header: it takes an expected
version (an int) and raises errors that carry data (the current version, the actions still
allowed, the seconds to wait); :mod:`.problems` asks :func:`error_headers` and
:func:`error_members` what those become.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import (
    GeoserviceError,
    Gone,
    MethodNotAllowed,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="geoservice"'}
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def etag(version: int) -> str:
    """The strong ETag of a feature's version."""
    return f'"{version}"'


NO_VERSION = 0
"""The version an ``If-Match`` naming no version of ours stands for: versions start at 1, so
the store answers 412 with the current version, as for a stale tag."""


def parse_if_match(header: str | None) -> int:
    """The version an ``If-Match`` header names, compared strongly (RFC 9110 §13.1.1): 428
    without one, or with ``*`` (a write must say which version it changes); a weak tag
    (``W/"1"``) or a tag that is not one of our ETags matches no version
    (:data:`NO_VERSION`: 412 with the current version)."""
    if header is None or not header.strip():
        raise PreconditionRequired(
            "En-tête If-Match requis : renvoyez l'ETag lu avec l'objet (GET), pour ne pas "
            "écraser une modification faite entre-temps")
    value = header.strip()
    if value == "*":
        raise PreconditionRequired(
            "If-Match : « * » ne suffit pas, donnez l'ETag de la version lue (ex. \"3\")")
    match = re.fullmatch(r'"([0-9]{1,12})"', value)
    return int(match.group(1)) if match else NO_VERSION


def allow(actions: Iterable[str], item: bool) -> str:
    """``Allow``: the read methods, and the write methods the given actions open (on the
    items of a collection: POST; on one item: PUT, PATCH, DELETE)."""
    actions = set(actions)
    methods = list(READ_METHODS)
    if not item and "create" in actions:
        methods.append("POST")
    if item and "update" in actions:
        methods += ["PUT", "PATCH"]
    if item and "delete" in actions:
        methods.append("DELETE")
    return ", ".join(methods)


def _version(exc: GeoserviceError) -> int | None:
    return exc.version if isinstance(exc, PreconditionFailed | Gone) else None


def error_headers(exc: GeoserviceError, path: str) -> dict[str, str]:
    """The headers a domain error's data gives its problem+json response."""
    version = _version(exc)
    if version is not None:
        return {"ETag": etag(version)}
    if isinstance(exc, MethodNotAllowed):
        return {"Allow": allow(exc.allowed, item="/items/" in path)}
    if isinstance(exc, TooManyRequests | ServiceUnavailable) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, Unauthorized) and exc.bearer:
        return dict(CHALLENGE)
    return {}


def error_members(exc: GeoserviceError) -> dict[str, object]:
    """Members the body gets beside the error's own: the ETag to send back on a 410 or 412."""
    version = _version(exc)
    return {} if version is None else {"etag": etag(version)}
