"""The write side's services are built once, in the lifespan, on the storage the read model
reads; a write asks for permission once; the read model still catches up before a write is
acknowledged. In-process app (TestClient, lifespan run) on a copy of the pulled store."""

from __future__ import annotations

import json
import shutil

import pytest
from fastapi.testclient import TestClient

from geoservice.api.app import create_app
from geoservice.auth import service as auth_service
from geoservice.auth.accounts import add_user, create_token
from geoservice.editing import proposals as proposals_module
from geoservice.editing import service as editing_module
from geoservice.imports import service as imports_module
from geoservice.storage import open_store
from tests.api.test_editing import PLACE

MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture()
def app_and_token(toulouse_settings, tmp_path):
    shutil.copytree(toulouse_settings.data_dir, tmp_path, dirs_exist_ok=True)
    settings = toulouse_settings.model_copy(update={"data_dir": tmp_path, "tiles_url": None,
                                                    "refresh_interval": 0})
    storage = open_store(settings)
    try:
        storage.upgrade()
        add_user(storage.accounts, "editor@example.fr", "editor")
        token, _ = create_token(storage.accounts, "editor@example.fr")
    finally:
        storage.close()
    return create_app(settings), {"Authorization": f"Bearer {token}",
                                  "Geoservice-Duplicate": "distinct"}


def _count(monkeypatch, owner, name: str) -> list[int]:
    """Count the calls of a real function or method (it still runs)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_services_are_built_once_and_shared_by_every_request(app_and_token, monkeypatch):
    app, auth = app_and_token
    with TestClient(app) as client:
        services = app.state.services
        editing = services.editing
        assert services.proposals.editing is editing and services.imports.editing is editing
        # the storage is opened once: the read model reads the one the services write
        assert editing.storage is app.state.readmodel.storage
        assert services.accounts.storage is editing.storage
        built = [_count(monkeypatch, cls, "__init__") for cls in (
            editing_module.Editing, proposals_module.Proposals, imports_module.Imports,
            auth_service.Accounts)]
        made = client.post("/api/collections/hebergement/items", json=PLACE, headers=auth)
        assert made.status_code == 201, made.text
        location = made.headers["Location"]
        patched = client.patch(location, content=json.dumps({"properties": {"nom": "Bis"}}),
                               headers={**auth, **MERGE, "If-Match": made.headers["ETag"]})
        assert patched.status_code == 200, patched.text
        assert client.get("/api/me", headers=auth).json()["authenticated"] is True
        assert client.get("/api/proposals", headers=auth).status_code == 403  # an editor
        assert client.get(f"{location}/history", headers=auth).status_code == 200
        imported = client.get("/api/imports/imp-0123456789", headers=auth)
        assert imported.status_code == 404
        assert all(not calls for calls in built), "a service was built during a request"
        assert app.state.services is services and services.editing is editing


def test_a_patch_asks_for_permission_once(app_and_token, monkeypatch):
    app, auth = app_and_token
    with TestClient(app) as client:
        editing = app.state.services.editing
        made = client.post("/api/collections/hebergement/items", json=PLACE, headers=auth)
        assert made.status_code == 201, made.text
        required = _count(monkeypatch, editing, "require")
        role_checks = _count(monkeypatch, editing_module, "allowed")
        patched = client.patch(made.headers["Location"],
                               content=json.dumps({"properties": {"statut": "a_venir"}}),
                               headers={**auth, **MERGE, "If-Match": made.headers["ETag"]})
        assert patched.status_code == 200, patched.text
        assert (len(required), len(role_checks)) == (1, 1)
        # read-your-writes: the same replica shows the write as soon as it is acknowledged
        seen = client.get(made.headers["Location"])
        assert seen.headers["ETag"] == '"2"'
        assert seen.json()["properties"]["statut"] == "a_venir"
        for method, extra in (("put", {"If-Match": '"2"'}), ("delete", {"If-Match": '"3"'})):
            required.clear()
            role_checks.clear()
            body = {} if method == "delete" else {"json": PLACE}
            done = getattr(client, method)(made.headers["Location"],
                                           headers={**auth, **extra}, **body)
            assert done.status_code in (200, 403), done.text  # an editor may not delete
            assert (len(required), len(role_checks)) == (1, 1), method


def test_domain_errors_carry_data_and_the_api_writes_the_headers(app_and_token):
    app, auth = app_and_token
    with TestClient(app) as client:
        made = client.post("/api/collections/hebergement/items", json=PLACE, headers=auth)
        location = made.headers["Location"]
        body = json.dumps({"properties": {"nom": "Ter"}})
        client.patch(location, content=body, headers={**auth, **MERGE, "If-Match": '"1"'})
        stale = client.patch(location, content=body,
                             headers={**auth, **MERGE, "If-Match": '"1"'})
        assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
        assert stale.json()["etag"] == '"2"' and stale.json()["currentVersion"] == 2
        refused = client.post("/api/collections/qpv/items", json=PLACE, headers=auth)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD, OPTIONS"
        anonymous = client.post("/api/collections/hebergement/items", json=PLACE)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="geoservice"'
