"""Data staff can trust, on a real server (127.0.0.1) over both stores: the one
likely-duplicate rule on the real open-data pairs (La Serre / IF – Les Imaginations
Fertiles, La Cantine ×2), a Part 4 creation that matches answers 409 ``doublon-probable``
unless confirmed distinct, the residents' read route, proposals that enforce the name, and
the merge (survivor, 308 for the merged id; a need, an event and a proposal that pointed at
it follow)."""

from __future__ import annotations

import json

import httpx

from tests.editing_site import site_on_both_stores

SERRE = [1.421281, 43.594005]  # tl2019-14, as the open data (CGET 2019) places it
GRAND_MIRAIL = [1.40044, 43.57235]
SYNTHETIC = "test automatique (données synthétiques)"


def place(nom: str, where: list[float], **extra) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": where},
            "properties": {"nom": nom, "type": "tiers_lieu", "defi": [], "statut": "ouvert",
                           "precision": "adresse", "source": SYNTHETIC, **extra}}


site = site_on_both_stores("duplicates")


def ids(candidates: list[dict]) -> set[str]:
    return {c["id"] for c in candidates}


def test_the_real_open_data_pairs_are_found(site):
    public = site.client()
    serre = public.get("/api/collections/hebergement/items/tl2019-14").json()
    assert serre["properties"]["nom"] == "La Serre"
    found = public.get("/api/duplicates", params={
        "collection": "hebergement", "nom": "La Serre", "lon": SERRE[0], "lat": SERRE[1],
        "adresse": serre["properties"].get("adresse"), "commune": "31555"})
    assert found.status_code == 200, found.text
    by_id = {c["id"]: c for c in found.json()["candidates"]}
    assert "tl2019-14" in by_id and "tl2019-569" in by_id  # IF – Les Imaginations Fertiles
    assert by_id["tl2019-569"]["nom"].startswith("IF")
    assert "même adresse" in by_id["tl2019-569"]["raison"]
    assert by_id["tl2019-569"]["distance_m"] < 50
    assert set(by_id["tl2019-569"]) == {"collection", "id", "nom", "distance_m", "raison"}

    cantine = public.get("/api/collections/hebergement/items/tl2019-611").json()
    lon, lat = cantine["geometry"]["coordinates"]
    found = public.get("/api/duplicates", params={
        "collection": "hebergement", "nom": "La Cantine", "lon": lon, "lat": lat}).json()
    assert {"tl2019-611", "tl2019-1070"} <= ids(found["candidates"])  # La Cantine ×2

    far = public.get("/api/duplicates", params={"collection": "hebergement",
                                               "nom": "Nom sans pareil", "lon": 1.3,
                                               "lat": 43.7}).json()
    assert far["candidates"] == []
    for bad in ({"collection": "inconnue"}, {"collection": "hebergement", "lon": 1.4},
                {"collection": "hebergement", "lat": "abc", "lon": 1}):
        answer = public.get("/api/duplicates", params=bad)
        assert answer.status_code in (400, 404), bad
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_creation_that_matches_answers_409_until_confirmed_distinct(site):
    editor = site.client("editor", distinct=False)
    twin = place("la serre", SERRE, adresse="27 bis allées Maurice-Sarraut")
    refused = editor.post("/api/collections/hebergement/items", json=twin)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith("/doublon-probable")
    assert problem["title"] == "Doublon probable"
    assert "tl2019-14" in ids(problem["candidates"])
    assert "existe peut-être déjà" in problem["detail"]
    assert site.client().get(problem["type"]).status_code == 200  # the type is documented
    wrong = editor.post("/api/collections/hebergement/items", json=twin,
                        headers={"Geoservice-Duplicate": "oui"})
    assert wrong.status_code == 400
    made = editor.post("/api/collections/hebergement/items", json=twin,
                       headers={"Geoservice-Duplicate": "distinct"})
    assert made.status_code == 201, made.text
    # another place, elsewhere, with another name: no question asked
    other = editor.post("/api/collections/hebergement/items",
                        json=place("Atelier de réparation sans pareil", [1.38, 43.65]))
    assert other.status_code == 201, other.text


def test_proposals_enforce_the_name_and_accept_no_defi(site):
    public = site.client()
    body = {"collection": "hebergement",
            "feature": place("   ", GRAND_MIRAIL)}
    for server_set in ("defi", "source"):
        del body["feature"]["properties"][server_set]
    refused = public.post("/api/proposals", json=body)
    assert refused.status_code == 422, refused.text
    assert {"field": "nom", "message": "Le nom est obligatoire"} in refused.json()["errors"]
    body["feature"]["properties"]["nom"] = "Jardin partagé d'essai (synthétique)"
    made = public.post("/api/proposals", json=body)  # « je ne sais pas » for the Défi
    assert made.status_code == 202, made.text


def test_merge_keeps_one_feature_and_everything_follows(site):
    editor, moderator, public = (site.client("editor"), site.client("moderator"),
                                 site.client())
    distinct = {"Geoservice-Duplicate": "distinct"}
    keep = editor.post("/api/collections/hebergement/items", headers=distinct,
                       json=place("Ressourcerie de fusion", [1.45, 43.62]))
    gone = editor.post("/api/collections/hebergement/items", headers=distinct,
                       json=place("Ressourcerie de la fusion", [1.4501, 43.6201],
                                  adresse="3 rue de la Fusion, Toulouse"))
    assert keep.status_code == gone.status_code == 201
    keep_id, gone_id = keep.json()["id"], gone.json()["id"]
    # a need answered by the merged place, a resident's correction of it
    need = {"type": "Feature", "geometry": {"type": "Point", "coordinates": GRAND_MIRAIL},
            "properties": {"nom": "Besoin de fusion (synthétique)", "type": "besoin",
                           "defi": [], "statut": "ouvert", "precision": "rue",
                           "source": SYNTHETIC, "date_signalement": "2025-01-01",
                           "signale_par": "maison_des_citoyens",
                           "etape": "reponse_existante", "etape_date": "2025-02-01",
                           "reponse": f"hebergement/{gone_id}"}}
    made_need = editor.post("/api/collections/besoins/items", json=need)
    assert made_need.status_code == 201, made_need.text
    event = editor.post("/api/collections/evenements/items", json={
        "type": "Feature", "geometry": None, "properties": {
            "nom": "Atelier de fusion (test synthétique)", "debut": "2026-11-03T08:30:00+01:00",
            "fin": "2026-11-03T10:00:00+01:00", "lieu": f"hebergement/{gone_id}", "defi": [],
            "type_evenement": "rencontre", "source": SYNTHETIC}})
    assert event.status_code == 201, event.text
    correction = public.post("/api/proposals", json={  # a resident's correction
        "collection": "hebergement", "target": gone_id,
        "feature": {"type": "Feature", "geometry": None,
                    "properties": {"description": "ouvert le samedi"}}})
    assert correction.status_code == 202, correction.text

    url = f"/api/collections/hebergement/items/{gone_id}/merge"
    body = {"into": keep_id, "properties": {"adresse": "3 rue de la Fusion, Toulouse"}}
    assert editor.post(url, json=body, headers={"If-Match": '"1"'}).status_code == 403
    assert moderator.post(url, json=body).status_code == 428
    assert moderator.post(url, json={**body, "into": gone_id},
                          headers={"If-Match": '"1"'}).status_code == 400
    assert moderator.post(url, json=body, headers={"If-Match": '"9"'}).status_code == 412
    merged = moderator.post(url, json=body, headers={"If-Match": '"1"'})
    assert merged.status_code == 200, merged.text
    assert merged.headers["ETag"] == '"2"'
    assert merged.json()["properties"]["adresse"] == "3 rue de la Fusion, Toulouse"

    moved = public.get(f"/api/collections/hebergement/items/{gone_id}?f=json",
                       follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["Location"].endswith(f"/items/{keep_id}?f=json")
    assert public.get(f"/api/collections/hebergement/items/{gone_id}",
                      follow_redirects=True).json()["id"] == keep_id
    names = [f["id"] for f in public.get(
        "/api/collections/hebergement/items?limit=5000").json()["features"]]
    assert keep_id in names and gone_id not in names

    survivor = moderator.get(f"/api/collections/hebergement/items/{keep_id}/history"
                             ).json()["versions"]
    assert gone_id in survivor[0]["reason"] and "fusion" in survivor[0]["reason"]
    retired = moderator.get(f"/api/collections/hebergement/items/{gone_id}/history"
                            ).json()["versions"]
    assert retired[0]["op"] == "delete" and keep_id in retired[0]["reason"]
    assert survivor[0]["changeset"] == retired[0]["changeset"]  # one transaction

    need_now = public.get(made_need.headers["Location"]).json()
    assert need_now["properties"]["reponse"] == f"hebergement/{keep_id}"
    event_now = public.get(event.headers["Location"]).json()
    assert event_now["properties"]["lieu"] == f"hebergement/{keep_id}"  # the agenda follows
    queued = moderator.get(f"/api/proposals/{correction.json()['id']}").json()
    assert json.dumps(queued).count(keep_id) >= 1 and queued["target"] == keep_id
    accepted = moderator.post(f"/api/proposals/{correction.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert public.get(f"/api/collections/hebergement/items/{keep_id}").json()[
        "properties"]["description"] == "ouvert le samedi"


def test_merge_refusals_are_problems(site):
    moderator = site.client("moderator")
    for url, body in (("/api/collections/qpv/items/QN03107M/merge", {"into": "x"}),
                      ("/api/collections/hebergement/items/absent/merge", {"into": "x"}),
                      ("/api/collections/hebergement/items/tl2019-14/merge", {"nope": 1}),
                      ("/api/collections/hebergement/items/tl2019-14/merge", []),):
        answer = moderator.post(url, json=body, headers={"If-Match": '"1"'})
        assert 400 <= answer.status_code < 500, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    anonymous = httpx.post(site.url + "/api/collections/hebergement/items/tl2019-14/merge",
                           json={"into": "tl2019-569"}, headers={"If-Match": '"1"'})
    assert anonymous.status_code == 401
