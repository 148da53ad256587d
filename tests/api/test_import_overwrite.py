"""Imports never overwrite what they did not create, on a real server over both stores:
the two reproductions of issue 28 (an editor's « cible-… » and the open data's
« tl2019-14 » named by a file's source and id) now go to review untouched; a feature of
the import edited by hand since goes to review with the fields that would change; the
preview lists every row it will write; a feature changed between preview and apply sends
the row back to review; rows left to review are decided and applied later."""

from __future__ import annotations

import json

import httpx

from tests.editing_site import site_on_both_stores

SYNTHETIC = "test automatique (données synthétiques)"


site = site_on_both_stores("import-overwrite")


def upload(client: httpx.Client, text: str, source_name: str) -> dict:
    answer = client.post("/api/imports", data={
        "layer": "hebergement", "id_column": "code", "source_name": source_name,
        "mapping": json.dumps({"nom": "nom", "lon": "x", "lat": "y", "type": "type"})},
        files={"file": (f"{source_name}.csv", text.encode(), "text/csv")})
    assert answer.status_code == 201, answer.text
    return answer.json()


def rows(record: dict) -> dict[int, dict]:
    return {row["line"]: row for row in record["rows"]}


def test_an_editors_feature_named_by_the_file_is_never_overwritten(site):
    editor, public = site.client("editor"), site.client()
    made = editor.post("/api/collections/hebergement/items", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [1.47, 43.58]},
        "properties": {"nom": "Cible", "type": "tiers_lieu", "defi": [], "statut": "ouvert",
                       "precision": "adresse", "adresse": "5 rue de la Cible, Toulouse",
                       "description": "écrit par un éditeur", "source": SYNTHETIC}})
    assert made.status_code == 201, made.text
    fid = made.json()["id"]  # « cible-83b105 »-like
    before = public.get(f"/api/collections/hebergement/items/{fid}").json()
    record = upload(editor, f"code,nom,x,y,type\n{fid.split('-', 1)[1]},Autre chose,1.39,"
                            "43.62,coworking\n", "cible")
    row = rows(record)[2]
    assert row["status"] == "review"
    assert any(f"« {fid} » est celui d'un objet d'une autre origine" in p
               for p in row["problems"])
    assert row["plan"]["op"] == "insert" and row["plan"]["fid"].startswith("import.cible.")
    refused = editor.post(f"/api/imports/{record['id']}/apply")
    assert refused.status_code == 409  # nothing is ready: the row waits for an editor
    assert public.get(f"/api/collections/hebergement/items/{fid}").json() == before
    # confirmed, it becomes a feature of its own; the editor's one is untouched
    editor.post(f"/api/imports/{record['id']}/rows/2", json={"action": "confirm"})
    done = editor.post(f"/api/imports/{record['id']}/apply").json()
    assert (done["inserted"], done["updated"]) == (1, 0)
    assert public.get(f"/api/collections/hebergement/items/{fid}").json() == before
    assert public.get(f"/api/collections/hebergement/items/{row['plan']['fid']}"
                      ).status_code == 200


def test_open_data_named_by_the_file_is_never_rewritten_nor_verified(site):
    editor, public = site.client("editor"), site.client()
    before = public.get("/api/collections/hebergement/items/tl2019-14").json()
    assert before["properties"]["verification"] == "a_verifier"
    record = upload(editor, "code,nom,x,y,type\n14,Nom remplacé,1.40,43.60,coworking\n",
                    "tl2019")
    row = rows(record)[2]
    assert row["status"] == "review"
    assert any("« tl2019-14 » est celui d'un objet d'une autre origine" in p
               for p in row["problems"])
    assert editor.post(f"/api/imports/{record['id']}/apply").status_code == 409
    after = public.get("/api/collections/hebergement/items/tl2019-14")
    assert after.json() == before and after.headers["ETag"] == '"1"'


def test_versions_edits_and_rows_left_to_review(site):
    editor, public = site.client("editor"), site.client()
    first = upload(editor, "code,nom,x,y,type\nK1,Lieu versionné un,1.351,43.651,coworking\n"
                           "K2,Lieu versionné deux,1.352,43.652,coworking\n"
                           "K3,Lieu versionné trois,1.353,43.653,coworking\n", "versions")
    assert first["summary"]["sure"] == 3
    assert [r["plan"]["op"] for r in first["rows"]] == ["insert"] * 3
    assert editor.post(f"/api/imports/{first['id']}/apply").json()["inserted"] == 3
    k1, k2 = "import.versions.k1", "import.versions.k2"
    # an editor changes K1 by hand
    tag = public.get(f"/api/collections/hebergement/items/{k1}").headers["ETag"]
    patched = editor.patch(f"/api/collections/hebergement/items/{k1}",
                           content=json.dumps({"properties": {"statut": "ferme"}}),
                           headers={"Content-Type": "application/merge-patch+json",
                                    "If-Match": tag})
    assert patched.status_code == 200, patched.text
    second = upload(editor, "code,nom,x,y,type\nK1,Lieu versionné un (bis),1.351,43.651,"
                            "coworking\nK2,Lieu versionné deux (bis),1.352,43.652,coworking\n"
                            "K3,Lieu versionné trois,1.353,43.653,coworking\n", "versions")
    lines = rows(second)
    # K1: edited by hand since → to review, saying what would change
    assert lines[2]["status"] == "review"
    assert lines[2]["plan"]["op"] == "update" and "nom" in lines[2]["plan"]["changes"]
    assert any("modifié à la main" in p for p in lines[2]["problems"])
    # K2: the import's own feature → sure, the preview names the field that changes
    assert lines[3]["status"] == "sure"
    assert lines[3]["plan"] == {"op": "update", "fid": k2, "version": 1, "changes": ["nom"]}
    assert lines[4]["plan"]["op"] == "unchanged"
    # K2 changes between preview and apply: its row goes back to review, not overwritten
    tag = public.get(f"/api/collections/hebergement/items/{k2}").headers["ETag"]
    editor.patch(f"/api/collections/hebergement/items/{k2}",
                 content=json.dumps({"properties": {"description": "ajout d'un éditeur"}}),
                 headers={"Content-Type": "application/merge-patch+json", "If-Match": tag})
    done = editor.post(f"/api/imports/{second['id']}/apply").json()
    assert done["back_to_review"] == 1 and done["updated"] == 0 and done["unchanged"] == 1
    assert done["status"] == "draft" and done["review"] == 2
    k2_now = public.get(f"/api/collections/hebergement/items/{k2}").json()
    assert k2_now["properties"]["nom"] == "Lieu versionné deux"
    assert k2_now["properties"]["description"] == "ajout d'un éditeur"
    # later: the editor confirms K1, applies; K2 is excluded; the import is then done
    editor.post(f"/api/imports/{second['id']}/rows/2", json={"action": "confirm"})
    editor.post(f"/api/imports/{second['id']}/rows/3", json={"action": "exclude"})
    later = editor.post(f"/api/imports/{second['id']}/apply")
    assert later.status_code == 200, later.text
    assert later.json()["updated"] == 1 and later.json()["status"] == "applied"
    k1_now = public.get(f"/api/collections/hebergement/items/{k1}").json()
    assert k1_now["properties"]["nom"] == "Lieu versionné un (bis)"
    record = editor.get(f"/api/imports/{second['id']}").json()
    assert record["status"] == "applied"
    assert record["summary"] == {"sure": 0, "review": 0, "rejected": 0, "excluded": 1,
                                 "applied": 2}
    assert editor.post(f"/api/imports/{second['id']}/rows/2",
                       json={"action": "exclude"}).status_code == 409


def test_a_file_past_the_old_5000_rows_imports_in_one_go_and_pages(site):
    editor = site.client("editor")
    lines = "".join(f"B{k},Lieu synthétique en nombre {k},{1.30 + (k % 80) * 0.003:.4f},"
                    f"{43.55 + (k // 80) * 0.002:.4f},coworking\n" for k in range(6_000))
    record = upload(editor, "code,nom,x,y,type\n" + lines, "en-nombre")
    assert sum(record["summary"].values()) == 6_000
    assert record["rows_matched"] == 6_000 and len(record["rows"]) == 500
    page = editor.get(f"/api/imports/{record['id']}",
                      params={"status": "todo", "offset": 5_900, "limit": 200}).json()
    todo = record["summary"]["sure"] + record["summary"]["review"]
    assert page["rows_matched"] == todo and len(page["rows"]) == max(0, min(100, todo - 5_900))
    assert editor.get(f"/api/imports/{record['id']}", params={"status": "nope"}
                      ).status_code == 400
