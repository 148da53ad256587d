"""Verifying open data at scale, on a real server over both stores: the « à vérifier » list
filtered by layer, commune and source with its evidence (source, vintage, likely
duplicates: La Serre / IF – Les Imaginations Fertiles, La Cantine ×2), and one batch
decision in one transaction, audited by each feature's history; a stale version refuses
the whole batch."""

from __future__ import annotations

from tests.editing_site import site_on_both_stores

TIERS_LIEUX = "CGET (aujourd'hui ANCT), Mission Coworking, base des tiers-lieux, 2019"


site = site_on_both_stores("verification")


def test_the_list_is_filtered_and_shows_its_evidence(site):
    editor = site.client("editor")
    everything = editor.get("/api/verification", params={"limit": 500}).json()
    assert everything["numberMatched"] > 30
    assert TIERS_LIEUX in everything["facets"]["source"]
    toulouse = next(c for c in everything["facets"]["commune"] if c["code"] == "31555")
    assert toulouse["nom"] == "Toulouse"
    page = editor.get("/api/verification", params={
        "layer": "hebergement", "commune": "31555", "source": TIERS_LIEUX, "limit": 500}).json()
    assert page["numberMatched"] == page["facets"]["layer"]["hebergement"]
    assert set(page["facets"]["source"]) == {TIERS_LIEUX}
    by_id = {i["id"]: i for i in page["items"]}
    serre = by_id["tl2019-14"]
    assert serre["source"] == TIERS_LIEUX and serre["millesime"] == "2019"
    assert serre["commune_nom"] == "Toulouse" and serre["version"] == 1
    assert "tl2019-569" in {c["id"] for c in serre["candidates"]}
    assert "tl2019-14" not in {c["id"] for c in serre["candidates"]}  # never itself
    assert "tl2019-1070" in {c["id"] for c in by_id["tl2019-611"]["candidates"]}
    names = [i["nom"].lower() for i in page["items"]]
    assert names == sorted(names)
    assert site.client().get("/api/verification").status_code == 401


def test_a_batch_without_credentials_is_refused_and_writes_nothing(site):
    public = site.client()
    before = public.get("/api/collections/hebergement/items/tl2019-611").headers["etag"]
    body = {"action": "verify", "reason": "essai sans compte",
            "items": [{"collection": "hebergement", "id": "tl2019-611", "version": 1}]}
    for headers in ({}, {"Authorization": "Bearer gst_000000000000_" + "A" * 43}):
        refused = public.post("/api/verification", json=body, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    after = public.get("/api/collections/hebergement/items/tl2019-611").headers["etag"]
    assert after == before


def test_batch_verify_and_discard_in_one_transaction(site):
    editor, moderator = site.client("editor"), site.client("moderator")
    items = [{"collection": "hebergement", "id": fid, "version": 1}
             for fid in ("tl2019-611", "tl2019-751")]
    # one stale version: nothing at all is written
    stale = editor.post("/api/verification", json={
        "action": "verify", "items": [*items, {"collection": "hebergement",
                                               "id": "tl2019-733", "version": 7}]})
    assert stale.status_code == 412, stale.text
    assert editor.get("/api/collections/hebergement/items/tl2019-611").json()[
        "properties"]["verification"] == "a_verifier"
    done = editor.post("/api/verification", json={"action": "verify", "items": items,
                                                  "reason": "vu sur place"})
    assert done.status_code == 200, done.text
    assert done.json()["count"] == 2
    for fid in ("tl2019-611", "tl2019-751"):
        history = editor.get(f"/api/collections/hebergement/items/{fid}/history"
                             ).json()["versions"]
        assert history[0]["reason"] == "vu sur place"
        assert history[0]["changed"] == ["verification"]
        assert history[0]["changeset"] == done.json()["changeset"]
    left = editor.get("/api/verification", params={"layer": "hebergement",
                                                   "limit": 500}).json()
    assert "tl2019-611" not in {i["id"] for i in left["items"]}

    discard = {"action": "discard", "items": [{"collection": "hebergement",
                                               "id": "tl2019-1070", "version": 1}]}
    assert editor.post("/api/verification", json={**discard, "reason": "doublon"}
                       ).status_code == 403  # an editor may not delete
    missing = moderator.post("/api/verification", json=discard)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    gone = moderator.post("/api/verification", json={
        **discard, "reason": "doublon de La Cantine Toulouse"})
    assert gone.status_code == 200, gone.text
    assert moderator.get("/api/collections/hebergement/items/tl2019-1070").status_code == 410
    for bad in ({}, {"action": "verify", "items": []}, {"action": "oui", "items": items},
                {"action": "verify", "items": [{"collection": "hebergement", "id": 3}]},
                {"action": "verify", "items": [{"collection": "qpv", "id": "x",
                                                "version": 1}]}):
        answer = editor.post("/api/verification", json=bad)
        assert 400 <= answer.status_code < 500, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
