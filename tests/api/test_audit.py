"""The audit trail on a real `geoservice serve` (both stores), read from its standard error
as an administrator would: one JSON line on ``geoservice.audit`` for each write (Part 4,
revert), moderation decision, import step, login (success and failure) and API token use,
with who, role, what, outcome and the request id; never a password, token, cookie,
contact or follow key. The same writes are counted by /metrics."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.editing_site import Site, site_on

PASSWORD = "un mot de passe d'audit assez long"
CONTACT = "contact-audit-7731@example.org"
PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
         "properties": {"nom": "Lieu d'audit", "type": "tiers_lieu", "defi": ["inclusion"],
                        "statut": "ouvert", "precision": "adresse",
                        "source": "test automatique (synthétique)"}}
MERGE = "application/merge-patch+json"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory, ban):
    made = site_on(request, mirror, tmp_path_factory, "audit", GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def audit_lines(site: Site) -> list[dict]:
    lines = (site.work / "serve.log").read_text().splitlines()
    return [json.loads(line.split("] ", 1)[1]) for line in lines
            if " geoservice.audit " in line]


def one(lines: list[dict], **match: object) -> dict:
    found = [x for x in lines if all(x.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, lines)
    return found[0]


def test_every_write_login_and_token_use_leaves_one_line(site):
    editor, moderator, public = site.client("editor"), site.client("moderator"), site.client()
    # Part 4: create, update, a stale update, delete; an anonymous and a bad-token write
    made = editor.post("/api/collections/hebergement/items", json=PLACE,
                       headers={"Content-Type": "application/geo+json"})
    assert made.status_code == 201, made.text
    fid = made.json()["id"]
    item = f"/api/collections/hebergement/items/{fid}"
    patched = editor.patch(item, json={"properties": {"statut": "ferme"}},
                           headers={"If-Match": '"1"', "Content-Type": MERGE})
    assert patched.status_code == 200
    stale = editor.patch(item, json={"properties": {"statut": "ouvert"}},
                         headers={"If-Match": '"1"', "Content-Type": MERGE})
    assert stale.status_code == 412
    assert public.delete(item, headers={"If-Match": '"2"'}).status_code == 401
    forged = public.get("/api/me", headers={"Authorization": "Bearer jeton-inconnu-1234"})
    assert forged.status_code == 401
    admin = site.client("admin")
    assert admin.delete(item, headers={"If-Match": '"2"'}).status_code == 204
    assert editor.get("/api/me").status_code == 200
    # a resident's proposal, accepted by a moderator
    proposal = public.post("/api/proposals", json={
        "collection": "hebergement", "feature": {**PLACE, "properties": {
            k: v for k, v in PLACE["properties"].items() if k != "source"} | {
            "nom": "Lieu proposé d'audit"}}, "contact": CONTACT})
    assert proposal.status_code == 202, proposal.text
    pid, key = proposal.json()["id"], proposal.json()["follow_key"]
    assert moderator.post(f"/api/proposals/{pid}/accept").status_code == 200
    # an import with coordinates, applied
    upload = editor.post("/api/imports", data={
        "layer": "hebergement", "id_column": "code", "mapping": json.dumps(
            {"nom": "nom", "lon": "x", "lat": "y"}), "defaults": json.dumps(
            {"type": "tiers_lieu"}), "source_name": "audit (synthétique)"},
        files={"file": ("audit.csv", b"code,nom,x,y\nA1,Lieu import audit,1.4437,43.6045\n",
                        "text/csv")})
    assert upload.status_code == 201, upload.text
    iid = upload.json()["id"]
    assert editor.post(f"/api/imports/{iid}/apply").status_code == 200
    # logins: a failure, then a success
    with httpx.Client(base_url=site.url, timeout=30) as browser:
        assert browser.post("/api/auth/login", json={
            "email": "editor@example.fr", "password": "pas le bon mot de passe"}
                            ).status_code == 401
        ok = browser.post("/api/auth/login", json={"email": "editor@example.fr",
                                                   "password": PASSWORD})
        assert ok.status_code == 200
        cookie = next(iter(browser.cookies.values()))

    lines = audit_lines(site)
    created = one(lines, audit="feature.create", id=fid)
    assert created == {**created, "outcome": "ok", "status": 201, "who": "editor@example.fr",
                       "role": "editor", "via": "token", "collection": "hebergement",
                       "version": 1, "method": "POST"}
    update = one(lines, audit="feature.update", outcome="ok")
    assert update["version"] == 2 and update["id"] == fid
    assert update["request_id"] == patched.headers["x-request-id"]
    refused = one(lines, audit="feature.update", outcome="refused")
    assert refused["status"] == 412 and refused["request_id"] == stale.headers["x-request-id"]
    assert refused["current_version"] == 2 and "version" not in refused
    anonymous = one(lines, audit="feature.delete", outcome="denied")
    assert anonymous["who"] is None and anonymous["status"] == 401
    deleted = one(lines, audit="feature.delete", outcome="ok")
    assert deleted["who"] == "admin@example.fr" and deleted["role"] == "admin"
    assert deleted["status"] == 204 and deleted["version"] == 3
    bad_token = one(lines, audit="token.use", outcome="denied")
    assert bad_token["path"] == "/api/me" and bad_token["who"] is None
    me = one(lines, audit="token.use", outcome="ok", path="/api/me")
    assert me["who"] == "editor@example.fr" and me["role"] == "editor"
    one(lines, audit="proposal.submit", outcome="ok", who=None)
    accepted = one(lines, audit="moderation.accept", proposal=pid)
    assert accepted["who"] == "moderator@example.fr" and accepted["role"] == "moderator"
    assert accepted["outcome"] == "ok"
    one(lines, audit="import.create", outcome="ok", who="editor@example.fr")
    applied = one(lines, audit="import.apply", outcome="ok", who="editor@example.fr")
    assert applied["import"] == iid
    failed = one(lines, audit="login.password", outcome="denied")
    assert failed["who"] == "editor@example.fr" and failed["status"] == 401
    logged = one(lines, audit="login.password", outcome="ok")
    assert logged["who"] == "editor@example.fr" and logged["role"] == "editor"
    # reads without credentials leave no line
    assert not [x for x in lines if x["path"].startswith("/api/collections/qpv")]

    log = (site.work / "serve.log").read_text()
    for secret in (PASSWORD, "pas le bon mot de passe", cookie, CONTACT, key,
                   "jeton-inconnu-1234", *site.tokens.values()):
        assert secret not in log

    # the same writes, counted by /metrics (the server runs on 127.0.0.1)
    text = httpx.get(f"{site.url}/metrics", timeout=30).text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}

    def writes(action: str, outcome: str) -> float:
        return samples.get(("geoservice_writes_total", (
            ("action", action), ("collection", "hebergement"), ("outcome", outcome))), 0)

    assert writes("feature.update", "ok") == 1 and writes("feature.update", "refused") == 1
    assert writes("feature.create", "ok") == 1 and writes("feature.delete", "ok") == 1
    assert samples[("geoservice_snapshot_rebuild_seconds_count", ())] >= 3
