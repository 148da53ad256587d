"""OGC API – Features Part 4 on a real server (127.0.0.1), on both stores: every status
code of the contract, residents never write, 20 concurrent PATCHes, kill -9 after a 201,
expired and revoked tokens, history and revert, and a write seen by every read at once."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from tests.editing_site import DISTINCT, cli, site_on_both_stores

PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Recyclerie d'essai", "type": "tiers_lieu",
                        "defi": ["economie_circulaire"], "statut": "ouvert",
                        "precision": "adresse", "adresse": "1 rue d'essai, Toulouse",
                        "source": "test automatique (données synthétiques)"}}
MERGE = {"Content-Type": "application/merge-patch+json"}


site = site_on_both_stores("editing")


def create(client: httpx.Client, feature: dict | None = None, layer: str = "hebergement"
           ) -> httpx.Response:
    response = client.post(f"/api/collections/{layer}/items", json=feature or PLACE)
    assert response.status_code == 201, response.text
    return response


def test_create_read_update_delete_restore(site):
    editor, moderator, public = site.client("editor"), site.client("moderator"), site.client()
    made = create(editor)
    location, tag = made.headers["Location"], made.headers["ETag"]
    assert tag == '"1"' and location.startswith(site.url + "/api/collections/hebergement/")
    fid = made.json()["id"]
    assert made.json()["properties"]["territoire"] == "toulouse-metropole"  # server-filled
    seen = public.get(location)  # read-your-write, by anyone, at once
    assert seen.status_code == 200 and seen.headers["ETag"] == tag
    assert seen.json()["properties"]["nom"] == "Recyclerie d'essai"

    patched = editor.patch(location, content=json.dumps({"properties": {"adresse": None,
                           "statut": "a_venir"}}), headers={**MERGE, "If-Match": tag})
    assert patched.status_code == 200 and patched.headers["ETag"] == '"2"'
    assert "adresse" not in patched.json()["properties"]  # null unsets
    assert public.get(location).json()["properties"]["statut"] == "a_venir"

    replaced = dict(PLACE, properties={**PLACE["properties"], "nom": "Recyclerie renommée"})
    put = editor.put(location, json=replaced, headers={"If-Match": '"2"'})
    assert put.status_code == 200 and put.headers["ETag"] == '"3"'

    assert editor.delete(location, headers={"If-Match": '"3"'}).status_code == 403  # role
    gone = moderator.delete(location, headers={"If-Match": '"3"'})
    assert gone.status_code == 204 and gone.headers["ETag"] == '"4"'
    assert public.get(location).status_code == 404
    last = editor.get(location)
    assert last.status_code == 410 and last.json()["feature"]["properties"]["nom"] == \
        "Recyclerie renommée"
    listed = public.get("/api/collections/hebergement/items", params={"limit": 1000}).json()
    assert fid not in {f["id"] for f in listed["features"]}
    back = moderator.post(f"{location}/restore", headers={"If-Match": '"4"'})
    assert back.status_code == 200 and back.headers["ETag"] == '"5"'
    assert public.get(location).status_code == 200


def test_preconditions_and_conflict_body(site):
    editor = site.client("editor")
    location = create(editor).headers["Location"]
    body = json.dumps({"properties": {"nom": "Nouveau nom"}})
    missing = editor.patch(location, content=body, headers=MERGE)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    assert editor.patch(location, content=body, headers={**MERGE, "If-Match": "*"}
                        ).status_code == 428
    assert editor.patch(location, content=body, headers={**MERGE, "If-Match": '"1"'}
                        ).status_code == 200
    stale = editor.patch(location, content=json.dumps({"properties": {"nom": "Autre"}}),
                         headers={**MERGE, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    problem = stale.json()
    assert problem["currentVersion"] == 2
    assert problem["current"]["properties"]["nom"] == "Nouveau nom"  # what they would lose


def test_refusals_say_why(site):
    editor, public = site.client("editor"), site.client()
    assert public.post("/api/collections/hebergement/items", json=PLACE).status_code == 401
    assert public.post("/api/collections/hebergement/items", json=PLACE).headers[
        "WWW-Authenticate"].startswith("Bearer")
    for layer in ("qpv", "stations", "diagnostic_qpv", "couverture"):
        refused = editor.post(f"/api/collections/{layer}/items", json=PLACE)
        assert refused.status_code == 405, layer
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
    wrong_type = editor.post("/api/collections/hebergement/items", content=b"nom=x",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415
    bad = dict(PLACE, properties={**PLACE["properties"], "statut": "peut-être",
                                  "defi": ["culture"]})
    invalid = editor.post("/api/collections/hebergement/items", json=bad)
    assert invalid.status_code == 422
    fields = {e["field"] for e in invalid.json()["errors"]}
    assert fields == {"statut", "defi"}
    assert "n'est pas une valeur admise" in invalid.json()["detail"]
    with_id = editor.post("/api/collections/hebergement/items",
                          json=dict(PLACE, properties={**PLACE["properties"], "id": "x"}))
    assert with_id.status_code == 422 and with_id.json()["errors"][0]["field"] == "id"
    location = create(editor).headers["Location"]
    renamed = editor.patch(location, content=json.dumps({"properties": {"id": "autre"}}),
                           headers={**MERGE, "If-Match": '"1"'})
    assert renamed.status_code == 422 and "id" in renamed.json()["detail"]
    far = dict(PLACE, properties={**PLACE["properties"], "territoire":
                                  "montpellier-mediterranee-metropole"})
    assert editor.post("/api/collections/hebergement/items", json=far).status_code == 422
    broken = editor.post("/api/collections/hebergement/items", content=b"{not json",
                         headers={"Content-Type": "application/geo+json"})
    assert broken.status_code == 400
    huge = editor.post("/api/collections/hebergement/items", content=b" " * 300_000,
                       headers={"Content-Type": "application/geo+json"})
    assert huge.status_code == 413


def test_options_lists_what_the_caller_may_do(site):
    item = "/api/collections/hebergement/items/x"
    assert site.client().options(item).headers["Allow"] == "GET, HEAD, OPTIONS"
    assert site.client("editor").options(item).headers["Allow"] == \
        "GET, HEAD, OPTIONS, PUT, PATCH"
    assert site.client("moderator").options(item).headers["Allow"] == \
        "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"
    assert site.client("editor").options("/api/collections/hebergement/items").headers[
        "Allow"] == "GET, HEAD, OPTIONS, POST"
    assert site.client("admin").options("/api/collections/qpv/items").headers["Allow"] == \
        "GET, HEAD, OPTIONS"
    conformance = site.client().get("/api/conformance").json()["conformsTo"]
    assert any("ogcapi-features-4" in c and "create-replace-delete" in c for c in conformance)


def test_a_resident_can_never_write(site):
    """Every write route of the OpenAPI document, without credentials and with a bogus
    token: 401 (or 405 on read-only layers), and nothing changes in the store."""
    public = site.client()
    fid = create(site.client("editor")).json()["id"]
    def features() -> list:
        return public.get("/api/collections/hebergement/items",
                          params={"limit": 1000}).json()["features"]

    before = features()
    paths = public.get("/openapi.json").json()["paths"]
    tried = 0
    for path, operations in paths.items():
        for method in ("post", "put", "patch", "delete"):
            if method not in operations or not path.startswith("/api/collections"):
                continue
            url = (path.replace("{collectionId}", "hebergement")
                   .replace("{featureId}", fid))
            for headers in ({}, {"Authorization": "Bearer gst_000000000000_" + "A" * 43},
                            {"Authorization": "Basic YWRtaW46YWRtaW4="}):
                response = public.request(method.upper(), url, json=PLACE,
                                          headers={**headers, "If-Match": '"1"'})
                assert response.status_code == 401, (method, url, response.text)
                tried += 1
    assert tried >= 18
    assert features() == before


def test_expired_and_revoked_tokens_get_401(site):
    from geoservice.auth.accounts import digest as _digest
    from geoservice.auth.entities import Token
    from geoservice.settings import Settings
    from geoservice.storage import open_store

    made = cli(site.env, "tokens", "create", "editor@example.fr", "--expires", "1")
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith("gst_") and "\n" not in token
    assert "ne sera plus affiché" in made.stderr
    headers = {"Authorization": f"Bearer {token}", **DISTINCT}
    with httpx.Client(base_url=site.url, headers=headers) as client:
        assert client.post("/api/collections/hebergement/items", json=PLACE
                           ).status_code == 201
        assert cli(site.env, "tokens", "revoke", token).returncode == 0
        refused = client.post("/api/collections/hebergement/items", json=PLACE)
        assert refused.status_code == 401 and "révoqué" in refused.json()["detail"]
    # a token whose expiry has passed (written as the store holds it)
    expired = "gst_0123456789ab_" + "B" * 43
    settings = Settings(**{k[len("GEOSERVICE_"):].lower(): v for k, v in site.env.items()
                           if k.startswith("GEOSERVICE_")})
    storage = open_store(settings)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    storage.accounts.add_token(Token("0123456789ab", "editor@example.fr", past, past, None),
                               _digest(expired))
    storage.close()
    refused = httpx.post(f"{site.url}/api/collections/hebergement/items", json=PLACE,
                         headers={"Authorization": f"Bearer {expired}"})
    assert refused.status_code == 401 and "expiré" in refused.json()["detail"]


def test_twenty_concurrent_patches_one_wins(site):
    editor = site.client("editor")
    location = create(editor).headers["Location"]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def write(n: int) -> None:
        with site.client("editor") as client:
            barrier.wait()
            response = client.patch(location, content=json.dumps(
                {"properties": {"nom": f"Écrivain {n}"}}), headers={**MERGE, "If-Match": '"1"'})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 19
    now = editor.get(location)
    assert now.headers["ETag"] == '"2"'
    history = editor.get(f"{location}/history").json()["versions"]
    assert [v["version"] for v in history] == [2, 1]  # one update, no lost one
    assert history[0]["changed"] == ["nom"] and now.json()["properties"]["nom"] == \
        editor.get(f"{location}/history/2").json()["properties"]["nom"]


def test_an_acknowledged_write_survives_kill_9(site):
    editor = site.client("editor")
    made = create(editor)
    os.kill(site.server.pid, signal.SIGKILL)
    site.server.process.wait(timeout=30)
    site.start()
    again = site.client().get(httpx.URL(made.headers["Location"]).path)  # new port
    assert again.status_code == 200 and again.headers["ETag"] == '"1"'
    assert again.json()["properties"]["nom"] == PLACE["properties"]["nom"]


def test_history_diff_and_revert(site):
    editor = site.client("editor")
    location = create(editor).headers["Location"]
    reason = "adresse vérifiée sur place"
    editor.patch(location, content=json.dumps({"properties": {"adresse": "3 rue Réelle"}}),
                 headers={**MERGE, "If-Match": '"1"',
                          "Geoservice-Reason": quote(reason)})
    history = editor.get(f"{location}/history").json()["versions"]
    assert history[0]["author"] == "editor@example.fr" and history[0]["role"] == "editor"
    assert history[0]["reason"] == reason and history[0]["changed"] == ["adresse"]
    diff = editor.get(f"{location}/diff", params={"from": 1, "to": 2}).json()
    assert diff["changes"] == {"adresse": {"from": "1 rue d'essai, Toulouse",
                                           "to": "3 rue Réelle"}}
    reverted = editor.post(f"{location}/revert", json={"version": 1},
                           headers={"If-Match": '"2"'})
    assert reverted.status_code == 200 and reverted.headers["ETag"] == '"3"'
    assert reverted.json()["properties"]["adresse"] == "1 rue d'essai, Toulouse"
    history = editor.get(f"{location}/history").json()["versions"]
    assert [v["version"] for v in history] == [3, 2, 1]  # history never rewritten
    assert history[0]["reason"] == "retour à la version 1"
    assert site.client().get(f"{location}/history").status_code == 401  # names people
    changeset = editor.get(f"/api/changesets/{reverted.headers['Geoservice-Changeset']}")
    assert changeset.json()["changes"][0]["version"] == 3


def test_a_write_reaches_items_lookup_exports_and_the_diagnosis_at_once(site):
    public, editor = site.client(), site.client("editor")
    qpv = public.get("/api/collections/qpv/items", params={"limit": 100}).json()["features"]
    diag = {f["id"]: f["properties"] for f in public.get(
        "/api/collections/diagnostic_qpv/items", params={"limit": 100}).json()["features"]}
    # the QPV without any ESS answer inside, and a point well inside it
    import shapely

    target = next(f for f in qpv if not diag[f["id"]].get("nb_reponses_dans_qpv"))
    inside = shapely.geometry.shape(target["geometry"]).representative_point()
    place = dict(PLACE, geometry={"type": "Point", "coordinates": [inside.x, inside.y]},
                 properties={**PLACE["properties"], "nom": "Lieu vérifié dans le QPV",
                             "defi": ["inclusion"]})
    before = public.get(f"/api/collections/diagnostic_qpv/items/{target['id']}").json()
    made = create(editor, place)
    fid = made.json()["id"]
    after = public.get(f"/api/collections/diagnostic_qpv/items/{target['id']}").json()
    assert after["properties"] != before["properties"]
    near = public.get("/api/lookup", params={"lon": inside.x, "lat": inside.y}).json()
    assert fid in json.dumps(near, ensure_ascii=False)
    csv = public.get("/api/collections/hebergement/items", params={"f": "csv"}).text
    assert "Lieu vérifié dans le QPV" in csv
