"""The audit trail: one JSON line on the logger ``geoservice.audit`` (the service's log,
standard error by default) for every write, moderation decision, import step, login and
use of an API token: who (the account's e-mail), role, how (token or session), what
(collection, id, version), outcome and HTTP status, and the request id. Never a secret: no
password, token, cookie or query string is read here.

The action of a request is found from its route template (:data:`ACTIONS`); the caller is
recorded by :mod:`.auth` when it resolves credentials, and routes may add fields with
:func:`note` (the e-mail a login was attempted for)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

from starlette.types import Scope

log = logging.getLogger("geoservice.audit")
SCOPE_KEY = "geoservice.audit"
ITEMS = "/api/collections/{collectionId}/items"
ITEM = ITEMS + "/{featureId}"
ACTIONS: dict[tuple[str, str], str] = {
    ("POST", ITEMS): "feature.create",
    ("PUT", ITEM): "feature.replace",
    ("PATCH", ITEM): "feature.update",
    ("DELETE", ITEM): "feature.delete",
    ("POST", ITEM + "/revert"): "feature.revert",
    ("POST", ITEM + "/restore"): "feature.restore",
    ("POST", "/api/proposals"): "proposal.submit",
    ("POST", "/api/proposals/{proposalId}/accept"): "moderation.accept",
    ("POST", "/api/proposals/{proposalId}/reject"): "moderation.reject",
    ("POST", "/api/proposals/bulk"): "moderation.bulk",
    ("POST", "/api/imports"): "import.create",
    ("POST", "/api/imports/{importId}/rows/{line}"): "import.row",
    ("POST", "/api/imports/{importId}/apply"): "import.apply",
    ("POST", "/api/auth/login"): "login.password",
    ("GET", "/api/auth/oidc/callback"): "login.oidc",
    ("POST", "/api/auth/logout"): "logout",
}
"""(method, route template) → action; any other request made with an API token is
audited as ``token.use``."""
WRITES = frozenset(a for a in ACTIONS.values() if a.split(".")[0] in
                   ("feature", "moderation", "import"))
"""The actions counted as writes by the metrics."""
_WHAT = (("collectionId", "collection"), ("featureId", "id"), ("proposalId", "proposal"),
         ("importId", "import"), ("line", "line"))


def note(scope: Scope, **fields: Any) -> None:
    """Add fields to the request's audit line (a route or a dependency calls it)."""
    scope.setdefault(SCOPE_KEY, {}).update(fields)


def action_of(scope: Scope, method: str, route: str | None) -> str | None:
    """The audited action of a request, None when it is not audited."""
    if route is not None and (method, route) in ACTIONS:
        return ACTIONS[(method, route)]
    if scope.get(SCOPE_KEY, {}).get("via") == "token" or _bearer(scope):
        return "token.use"
    return None


def _bearer(scope: Scope) -> bool:
    return any(key == b"authorization" and value[:7].lower() == b"bearer "
               for key, value in scope.get("headers", ()))


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403):
        return "denied"
    return "refused" if status < 500 else "error"


def line(scope: Scope, action: str, method: str, status: int, headers: dict[str, str],
         request_id: str) -> dict[str, Any]:
    """The audit record of one request (JSON-ready)."""
    noted = scope.get(SCOPE_KEY, {})
    record: dict[str, Any] = {
        "audit": action, "outcome": outcome_of(status), "status": status,
        "who": noted.get("who"), "role": noted.get("role"), "via": noted.get("via")}
    params = scope.get("path_params") or {}
    for param, name in _WHAT:
        if param in params:
            record[name] = str(params[param])
    if action == "feature.create" and "location" in headers:
        record["id"] = unquote(headers["location"].rstrip("/").rsplit("/", 1)[-1])
    tag = headers.get("etag", "")
    if tag.startswith('"') and tag.strip('"').isdigit():  # written, or the current one
        record["version" if status < 400 else "current_version"] = int(tag.strip('"'))
    for key, value in noted.items():
        record.setdefault(key, value)
    record.update({"method": method, "path": scope.get("path", ""),
                   "request_id": request_id})
    return record


def emit(record: dict[str, Any]) -> None:
    log.info("%s", json.dumps(record, ensure_ascii=False, separators=(",", ":")))
