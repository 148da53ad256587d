"""Residents propose, moderators decide, on a real server (127.0.0.1) over both stores: the
202 contract, nothing public before acceptance, accept → public (and in the ranking's
reasons), reject → never public, a conflict when the target changed meanwhile, one
acceptance out of two concurrent ones, 429 past the limit, the honeypot, every moderation
route refused without credentials, and the contact absent from every public output."""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

import httpx
import pytest

from tests.editing_site import cli, site_on

LIMIT = 30
GRAND_MIRAIL = [1.40044, 43.57235]  # a point inside QPV QN03107M
CONTACT = "secret-contact-4242@example.org"
NEED = {"collection": "besoins", "contact": CONTACT, "note": "vu à la réunion",
        "feature": {"type": "Feature", "geometry": {"type": "Point", "coordinates": GRAND_MIRAIL},
                    "properties": {"nom": "Épicerie solidaire <script>alert(1)</script>",
                                   "defi": ["alimentation_durable"], "precision": "rue",
                                   "description": "Pas de magasin abordable à pied",
                                   "signale_par": "maison_des_citoyens"}}}
PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Recyclerie d'essai", "type": "tiers_lieu",
                        "defi": ["economie_circulaire"], "statut": "ouvert",
                        "precision": "adresse", "source": "test automatique (synthétique)"}}


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory):
    made = site_on(request, mirror, tmp_path_factory, "proposals",
                   GEOSERVICE_PROPOSALS_PER_HOUR=str(LIMIT))
    yield made
    made.stop()


def propose(client: httpx.Client, body: dict) -> dict:
    answer = client.post("/api/proposals", json=body)
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"].endswith("/api/proposals/" + answer.json()["id"])
    return answer.json()


def follow(client: httpx.Client, made: dict) -> httpx.Response:
    return client.get(f"/api/proposals/{made['id']}",
                      headers={"Geoservice-Follow-Key": made["follow_key"]})


def public_names(client: httpx.Client, layer: str) -> list[str]:
    page = client.get(f"/api/collections/{layer}/items?limit=1000").json()
    return [f["properties"]["nom"] for f in page["features"]]


def test_a_need_from_a_resident_to_the_ranking(site):
    public, moderator = site.client(), site.client("moderator")
    made = propose(public, NEED)
    assert made["status"] == "pending" and "contact" not in made
    assert made["follow"] == f"{site.url}/#suivi={made['id']}.{made['follow_key']}"
    props = made["feature"]["properties"]
    assert props["qpv"] == "QN03107M" and props["type"] == "besoin"  # found by the server
    assert props["commune"] == "31555" and props["date_signalement"]
    # nothing public yet, and the proposer sees it pending, without the contact
    assert not any(n.startswith("Épicerie solidaire") for n in public_names(public, "besoins"))
    seen = follow(public, made)
    assert seen.status_code == 200 and seen.json()["status"] == "pending"
    assert CONTACT not in seen.text and seen.headers["Cache-Control"] == "no-store"
    wrong = public.get(f"/api/proposals/{made['id']}", headers={"Geoservice-Follow-Key": "x"})
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith(
        "application/problem+json")

    queue = moderator.get("/api/proposals?status=pending&collection=besoins&kind=new"
                          "&qpv=QN03107M").json()["proposals"]
    mine = [p for p in queue if p["id"] == made["id"]]
    assert mine and mine[0]["contact"] == CONTACT  # moderators only
    review = moderator.get(f"/api/proposals/{made['id']}").json()["review"]
    assert review["current"] is None and "nom" in review["changed"]

    accepted = moderator.post(f"/api/proposals/{made['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    location = accepted.headers["Location"]
    item = public.get(location)
    assert item.status_code == 200  # public at once (read-your-writes)
    assert item.json()["properties"]["qpv"] == "QN03107M"
    assert CONTACT not in item.text
    fid = location.rsplit("/", 1)[1]
    history = moderator.get(f"/api/collections/besoins/items/{fid}/history").json()
    last = history["versions"][0] if "versions" in history else history[0]
    assert last["author"] == "moderator@example.fr" and made["id"] in last["reason"]
    after = follow(public, made).json()
    assert after["status"] == "accepted" and after["published"] == location

    # the need reaches the ranking's reasons and the QPV's list of open needs
    ranking = public.get("/api/analysis/underserved?defi=alimentation_durable").json()
    mirail = next(i for i in ranking["items"] if i["code_qp"] == "QN03107M")
    assert [n["id"] for n in mirail["needs"]] == [fid]
    said = [r for r in mirail["reasons"] if "Alimentation durable signalé" in r]
    assert said and said[0].startswith("1 besoin Alimentation durable signalé et non couvert")
    assert mirail["measures"]["unmet_needs"] == 1

    again = moderator.post(f"/api/proposals/{made['id']}/accept")
    assert again.status_code == 409


def test_reject_is_never_public_and_the_proposer_reads_why(site):
    public, moderator = site.client(), site.client("moderator")
    body = json.loads(json.dumps(NEED))
    body["feature"]["properties"]["nom"] = "Besoin refusé d'essai"
    made = propose(public, body)
    no_message = moderator.post(f"/api/proposals/{made['id']}/reject", json={})
    assert no_message.status_code == 422
    done = moderator.post(f"/api/proposals/{made['id']}/reject",
                          json={"message": "Doublon d'un besoin déjà connu"})
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    assert "Besoin refusé d'essai" not in public_names(public, "besoins")
    seen = follow(public, made).json()
    assert seen["status"] == "rejected" and seen["message"] == "Doublon d'un besoin déjà connu"
    assert moderator.post(f"/api/proposals/{made['id']}/accept").status_code == 409


def test_correction_conflicts_when_the_target_changed(site):
    public, editor, moderator = site.client(), site.client("editor"), site.client("moderator")
    made_place = editor.post("/api/collections/hebergement/items", json=PLACE)
    assert made_place.status_code == 201
    fid = made_place.json()["id"]
    made = propose(public, {"collection": "hebergement", "target": fid,
                            "feature": {"type": "Feature", "geometry": None,
                                        "properties": {"adresse": "3 rue d'essai"}},
                            "note": "l'adresse a changé"})
    assert made["kind"] == "correction"
    changed = editor.patch(f"/api/collections/hebergement/items/{fid}",
                           content=json.dumps({"properties": {"statut": "a_venir"}}),
                           headers={"Content-Type": "application/merge-patch+json",
                                    "If-Match": '"1"'})
    assert changed.status_code == 200
    review = moderator.get(f"/api/proposals/{made['id']}").json()["review"]
    assert review["current"]["changed_since"] is True and review["changed"] == ["adresse"]
    stale = moderator.post(f"/api/proposals/{made['id']}/accept")
    assert stale.status_code == 412 and stale.json()["currentVersion"] == 2
    assert follow(public, made).json()["status"] == "pending"  # nothing decided
    fresh = moderator.post(f"/api/proposals/{made['id']}/accept", json={"version": 2})
    assert fresh.status_code == 200, fresh.text
    item = public.get(f"/api/collections/hebergement/items/{quote(fid)}").json()
    assert item["properties"]["adresse"] == "3 rue d'essai"
    assert item["properties"]["statut"] == "a_venir"  # the editor's change kept


def test_problem_report_and_two_moderators_at_once(site):
    public, editor = site.client(), site.client("editor")
    fid = editor.post("/api/collections/hebergement/items", json=PLACE).json()["id"]
    made = propose(public, {"collection": "hebergement", "target": fid,
                            "problem": "n_existe_plus", "note": "fermé depuis l'été"})
    assert made["kind"] == "report" and made["problem_label"] == "n'existe plus"
    bad = public.post("/api/proposals", json={"collection": "hebergement", "target": fid,
                                              "problem": "vexant"})
    assert bad.status_code == 422
    results: list[int] = []

    def accept(role: str) -> None:
        with site.client(role) as client:
            results.append(client.post(f"/api/proposals/{made['id']}/accept",
                                       json={"message": "vérifié sur place"}).status_code)

    threads = [threading.Thread(target=accept, args=(r,)) for r in ("moderator", "admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    assert follow(public, made).json()["message"] == "vérifié sur place"


def test_bad_proposals_are_refused_clearly(site):
    public = site.client()
    cases = {
        "honeypot": ({**NEED, "site_web": "http://spam"}, 422),
        "unknown field": ({**NEED, "email": "x"}, 422),
        "reference layer": ({**NEED, "collection": "qpv"}, 405),
        "no layer": ({**NEED, "collection": "nope"}, 404),
        "outside": ({**NEED, "feature": {**NEED["feature"], "geometry": {
            "type": "Point", "coordinates": [2.35, 48.85]}}}, 422),
        "server field": ({**NEED, "feature": {**NEED["feature"], "properties": {
            **NEED["feature"]["properties"], "source": "moi"}}}, 422),
        "need without description": ({**NEED, "feature": {**NEED["feature"], "properties": {
            k: v for k, v in NEED["feature"]["properties"].items() if k != "description"}}},
            422),
        "long contact": ({**NEED, "contact": "x" * 201}, 422),
    }
    for name, (body, status) in cases.items():
        answer = public.post("/api/proposals", json=body)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), name
    huge = public.post("/api/proposals", content=b"{" + b" " * 40_000 + b"}",
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert public.post("/api/proposals", content=b"nom=x", headers={
        "Content-Type": "application/x-www-form-urlencoded"}).status_code == 415


def test_moderation_needs_a_moderator(site):
    public, editor = site.client(), site.client("editor")
    made = propose(public, NEED)
    routes = [("GET", "/api/proposals"), ("GET", f"/api/proposals/{made['id']}"),
              ("POST", f"/api/proposals/{made['id']}/accept"),
              ("POST", f"/api/proposals/{made['id']}/reject"),
              ("POST", "/api/proposals/bulk")]
    for method, path in routes:
        body = {"action": "accept", "ids": [made["id"]], "message": "x"}
        assert public.request(method, path, json=body).status_code == 401, path
        assert editor.request(method, path, json=body).status_code == 403, path
    assert follow(public, made).json()["status"] == "pending"
    bulk = site.client("moderator").post("/api/proposals/bulk", json={
        "action": "reject", "ids": [made["id"], "p-0000000000"], "message": "essai groupé"})
    assert [r["status"] for r in bulk.json()["results"]] == [200, 404]


def test_contact_never_public_nor_exported(site, tmp_path):
    public = site.client()
    outputs = [
        public.get("/api/collections/besoins/items?limit=1000").text,
        public.get("/api/collections/besoins/items?f=csv").text,
        public.get("/api/analysis/underserved").text,
        public.get("/api/analysis/underserved?f=csv").text,
        public.get("/api/map/config").text,
    ]
    for text in outputs:
        assert CONTACT not in text
    out = tmp_path / "besoins.geojson"
    done = cli(site.env, "export", "besoins", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Épicerie solidaire" in out.read_text() and CONTACT not in out.read_text()


def test_zz_rate_limit_per_client(site):
    """Last in the module: it uses up this client's hourly allowance."""
    public, moderator = site.client(), site.client("moderator")
    made = len(moderator.get("/api/proposals?status=all").json()["proposals"])
    statuses = [public.post("/api/proposals", json=NEED) for _ in range(LIMIT - made + 1)]
    assert [s.status_code for s in statuses[:-1]] == [202] * (LIMIT - made)
    last = statuses[-1]
    assert last.status_code == 429 and int(last.headers["Retry-After"]) > 0
    assert last.headers["content-type"].startswith("application/problem+json")
    assert len(moderator.get("/api/proposals?status=all").json()["proposals"]) == LIMIT
