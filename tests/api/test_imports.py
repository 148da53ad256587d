"""Editors' CSV imports on a real server (127.0.0.1) with a BAN stand-in answering the
documented ``/search/csv/`` format: a sure row, rows to review (low score, street-level
match, close runner-up, outside the territory), rejected rows (no match, invalid, repeated
id); decisions (confirm, place by hand, exclude); one changeset; re-applying changes
nothing and never moves a hand-placed pin; the mapping is remembered; the CLI."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.editing_site import Site, cli

CSV = """Identifiant;Nom;Adresse;Défi(s);Type
P1;Pépinière d'essai;10 rue des Essais 31000 Toulouse;Inclusion;pepiniere
P2;Lieu douteux;3 rue du Doute 31100 Toulouse;;pepiniere
P3;Lieu de rue;avenue des Rues 31400 Toulouse;economie circulaire;pepiniere
P4;Lieu en double;5 place du Doublon 31000 Toulouse;;pepiniere
P5;Lieu lointain;12 rue de Loin 75010 Paris;;pepiniere
P6;Lieu introuvable;nulle part du tout;;pepiniere
P7;;10 rue des Essais 31000 Toulouse;;pepiniere
P1;Pépinière répétée;10 rue des Essais 31000 Toulouse;;pepiniere
P8;Lieu mal typé;10 rue des Essais 31000 Toulouse;Inclusion;chateau
""".encode()


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("imports"), mirror, GEOSERVICE_BAN_URL=ban.url)
    yield made
    made.stop()


def upload(client: httpx.Client, data: bytes = CSV, **fields: str) -> httpx.Response:
    form = {"layer": "hebergement", "id_column": "Identifiant", **fields}
    return client.post("/api/imports", data=form,
                       files={"file": ("pepinieres-metropole.csv", data, "text/csv")})


def by_line(body: dict) -> dict[int, dict]:
    return {row["line"]: row for row in body["rows"]}


def test_import_review_apply_and_reimport(site):
    editor, public = site.client("editor"), site.client()
    made = upload(editor)
    assert made.status_code == 201, made.text
    body = made.json()
    assert made.headers["Location"].endswith("/api/imports/" + body["id"])
    assert body["mapping"] == {"nom": "Nom", "type": "Type", "defi": "Défi(s)",
                               "adresse": "Adresse"}
    assert body["mapped_from"] == "suggéré d'après les libellés"
    assert body["summary"] == {"sure": 1, "review": 4, "rejected": 4, "excluded": 0,
                               "applied": 0}
    rows = by_line(body)
    sure = rows[2]
    assert sure["status"] == "sure" and sure["problems"] == []
    assert sure["props"]["precision"] == "adresse" and sure["props"]["commune"] == "31555"
    assert sure["props"]["defi"] == ["inclusion"] and sure["geocoding"]["score"] == 0.95
    assert sure["props"]["source"].startswith("pepinieres-metropole.csv, importé le ")
    assert "score BAN 0,55" in rows[3]["problems"][0]
    assert any("à la rue seulement" in p for p in rows[4]["problems"])
    assert rows[4]["props"]["precision"] == "rue"
    assert any("autre candidat proche" in p for p in rows[5]["problems"])
    assert any("hors du territoire" in p for p in rows[6]["problems"])
    assert rows[7]["status"] == "rejected" and "introuvable" in rows[7]["problems"][0]
    assert rows[8]["status"] == "rejected" and any("Nom" in p for p in rows[8]["problems"])
    assert rows[9]["status"] == "rejected" and "déjà vu ligne 2" in rows[9]["problems"][-1]
    assert rows[10]["status"] == "rejected" and "chateau" in rows[10]["problems"][0]
    # nothing written yet
    names = [f["properties"]["nom"] for f in public.get(
        "/api/collections/hebergement/items?limit=1000").json()["features"]]
    assert "Pépinière d'essai" not in names

    iid = body["id"]
    assert editor.post(f"/api/imports/{iid}/rows/4", json={"action": "confirm"}).status_code \
        == 200
    placed = editor.post(f"/api/imports/{iid}/rows/3", json={"action": "place",
                                                             "lon": 1.4001, "lat": 43.5701})
    assert placed.status_code == 200
    assert by_line(placed.json())[3]["props"]["geocodage"].startswith("manuel")
    assert editor.post(f"/api/imports/{iid}/rows/5", json={"action": "exclude"}).json()[
        "summary"] == {"sure": 3, "review": 1, "rejected": 4, "excluded": 1, "applied": 0}
    outside = editor.post(f"/api/imports/{iid}/rows/6", json={"action": "place", "lon": 2.35,
                                                              "lat": 48.85})
    assert outside.status_code == 400
    assert editor.post(f"/api/imports/{iid}/rows/7", json={"action": "confirm"}
                       ).status_code == 400  # rejected: nothing to confirm
    applied = editor.post(f"/api/imports/{iid}/apply")
    assert applied.status_code == 200, applied.text
    done = applied.json()
    assert (done["inserted"], done["updated"], done["unchanged"]) == (3, 0, 0)
    # the row left to review (line 6, outside the territory) stays in the import
    assert done["status"] == "draft" and done["review"] == 1
    after = editor.get(f"/api/imports/{iid}").json()
    assert after["summary"] == {"sure": 0, "review": 1, "rejected": 4, "excluded": 1,
                                "applied": 3}
    assert by_line(after)[6]["status"] == "review"
    assert editor.post(f"/api/imports/{iid}/apply").status_code == 409  # nothing ready
    items = {f["properties"]["source_id"]: f for f in public.get(
        "/api/collections/hebergement/items?limit=1000").json()["features"]
        if f["properties"].get("source_id") in ("P1", "P2", "P3")}
    assert set(items) == {"P1", "P2", "P3"}
    assert items["P1"]["id"] == "import.pepinieres-metropole.p1"  # the imports' namespace
    assert items["P1"]["properties"]["verification"] == "verifie"
    assert items["P2"]["geometry"]["coordinates"] == [1.4001, 43.5701]
    history = editor.get(f"/api/collections/hebergement/items/{items['P1']['id']}/history"
                         ).json()["versions"]
    assert history[0]["author"] == "editor@example.fr"
    assert history[0]["changeset"] == done["changeset"]

    # the same file again: mapping remembered; the pin placed by hand is not moved even
    # when the BAN's point is confirmed this time; nothing changes
    again = upload(editor).json()
    assert again["mapped_from"] == "mémorisé pour cette source"
    for line in (3, 4):
        editor.post(f"/api/imports/{again['id']}/rows/{line}", json={"action": "confirm"})
    second = editor.post(f"/api/imports/{again['id']}/apply").json()
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 3)
    assert second["changeset"] is None
    p2 = public.get(f"/api/collections/hebergement/items/{items['P2']['id']}").json()
    assert p2["geometry"]["coordinates"] == [1.4001, 43.5701]


def test_coordinates_in_the_file_and_a_given_mapping(site):
    editor = site.client("editor")
    data = "code,nom lieu,x,y\nC1,Lieu à coordonnées,1.4437,43.6045\nC2,Lieu dehors,2.35,48.85\n"
    made = upload(editor, data.encode(), id_column="code", mapping=json.dumps(
        {"nom": "nom lieu", "lon": "x", "lat": "y"}), defaults=json.dumps(
        {"type": "tiers_lieu"}), source_name="lieux à coordonnées")
    assert made.status_code == 201, made.text
    rows = by_line(made.json())
    assert rows[2]["status"] == "sure" and rows[2]["props"]["geocodage"] == (
        "coordonnées du fichier")
    assert rows[2]["props"]["commune"] == "31555" and rows[2]["props"]["type"] == "tiers_lieu"
    assert rows[3]["status"] == "review" and "hors du territoire" in rows[3]["problems"][0]


def test_simultaneous_applies_write_once(site):
    from concurrent.futures import ThreadPoolExecutor

    editor = site.client("editor")
    data = ("code,nom lieu,x,y\n" + "".join(
        f"R{k},Lieu de course {k},{1.40 + k / 1000:.3f},43.600\n" for k in range(12)))
    made = upload(editor, data.encode(), id_column="code", mapping=json.dumps(
        {"nom": "nom lieu", "lon": "x", "lat": "y"}), defaults=json.dumps(
        {"type": "tiers_lieu"}), source_name="course")
    assert made.status_code == 201, made.text
    iid = made.json()["id"]

    def apply(_: int) -> httpx.Response:
        with site.client("editor") as client:
            return client.post(f"/api/imports/{iid}/apply")

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(apply, range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409, 409, 409], [a.text for a in answers]
    [won] = [a.json() for a in answers if a.status_code == 200]
    assert won["inserted"] == 12
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
    record = editor.get(f"/api/imports/{iid}").json()
    assert record["status"] == "applied" and record["changeset"] == won["changeset"]
    for k in (0, 11):
        versions = editor.get(f"/api/collections/hebergement/items/import.course.r{k}/history"
                              ).json()["versions"]
        assert [v["changeset"] for v in versions] == [won["changeset"]]


def test_bad_imports_are_refused_clearly(site):
    editor, public = site.client("editor"), site.client()
    assert upload(public).status_code == 401
    made = upload(editor).json()["id"]
    for method, path in (("GET", f"/api/imports/{made}"),
                         ("POST", f"/api/imports/{made}/rows/2"),
                         ("POST", f"/api/imports/{made}/apply")):
        answer = public.request(method, path, json={"action": "confirm"})
        assert answer.status_code == 401, path  # every import route needs an account
    assert upload(editor, layer="qpv").status_code == 405
    assert upload(editor, id_column="absente").status_code == 400
    assert upload(editor, mapping="{pas du json").status_code == 400
    assert upload(editor, mapping=json.dumps({"inconnue": "Nom"})).status_code == 400
    assert upload(editor, b"\xff\xfe\x00bad").status_code == 400
    assert editor.post("/api/imports", json={"layer": "hebergement"}).status_code == 415
    assert editor.get("/api/imports/imp-0000000000").status_code == 404
    for response in (upload(public), upload(editor, layer="qpv")):
        assert response.headers["content-type"].startswith("application/problem+json")


def test_cli_import(site, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(CSV)
    dry = cli(site.env, "import", "hebergement", str(path), "--id-column", "Identifiant")
    assert dry.returncode == 0, dry.stderr
    # the same places under another source name: held back as likely duplicates
    assert "0 sûre(s), 5 à revoir, 4 rejetée(s)" in dry.stdout
    assert "ligne 2 (à revoir) : doublon probable : « Pépinière d'essai »" in dry.stdout
    assert "ligne 3" in dry.stdout and "score BAN 0,55" in dry.stdout
    nothing = cli(site.env, "import", "hebergement", str(path), "--id-column", "Identifiant",
                  "--apply")
    assert nothing.returncode == 0, nothing.stderr
    assert "rien de sûr à appliquer" in nothing.stdout
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("code,nom,lon,lat,type\nF1,Lieu de la ligne de commande,1.43,43.61,"
                     "tiers_lieu\n", encoding="utf-8")
    applied = cli(site.env, "import", "hebergement", str(fresh), "--id-column", "code",
                  "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "1 ajouté(s)" in applied.stdout
    missing = cli(site.env, "import", "hebergement", str(tmp_path / "absent.csv"))
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
