"""A need's stages on a real server, both stores: every stage by ordinary Part 4 PATCHes
(the history is the journal), moving back, every refusal (422 naming the field, in
French), a need stored before stages existed reads and writes as « repéré », and the
reason of an abandon never leaves the staff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from geoservice.catalog import load_catalog
from geoservice.fabrique.stages import STAGES
from geoservice.settings import REPO_ROOT
from tests.fabrique.conftest import CENTRE, create, move, need, patch, project

SECRET = "porteur parti sans prévenir 7731"


def test_the_layer_says_the_stages_of_the_method():
    layer = load_catalog(REPO_ROOT / "layers")["besoins"]
    etape = layer.properties["etape"]
    assert etape.enum == list(STAGES) and etape.default == "repere"
    assert {k: v.fr for k, v in etape.enum_labels.items()} == \
        {k: s.label for k, s in STAGES.items()}
    assert layer.staff_only == ["motif"] and "motif" not in layer.public().properties
    projets = load_catalog(REPO_ROOT / "layers")["projets"].properties
    assert projets["laureat"].type == "boolean" and projets["montant_eur"].type == "number"


def test_every_stage_by_patch_and_the_journal(site):
    editor, public = site.client("editor"), site.client()
    answer, _ = create(editor, "projets", project("Épicerie du quartier (essai)"))
    fid, tag = create(editor, "besoins", need("Épicerie solidaire (étapes)", "2024-01-10"))
    item = public.get(f"/api/collections/besoins/items/{fid}").json()
    assert item["properties"]["etape"] == "repere"  # every need starts there
    steps = [("qualifie", "2024-01-20"), ("exploration", "2024-02-01"),
             ("etude_opportunite", "2024-03-15"), ("recherche_porteur", "2024-05-02"),
             ("accompagnement", "2024-06-30")]
    for stage, day in steps:
        tag = move(editor, fid, tag, etape=stage, etape_date=day)
    tag = move(editor, fid, tag, etape="lance", etape_date="2024-09-01",
               reponse=f"projets/{answer}")
    shown = public.get(f"/api/collections/besoins/items/{fid}").json()["properties"]
    assert (shown["etape"], shown["etape_date"], shown["reponse"]) == \
        ("lance", "2024-09-01", f"projets/{answer}")
    # moving back is allowed (the answer goes with it) and shows in the journal
    tag = move(editor, fid, tag, etape="accompagnement", etape_date="2024-09-20",
               reponse=None)
    tag = move(editor, fid, tag, etape="abandonne", etape_date="2024-10-01", motif=SECRET)
    tag = move(editor, fid, tag, etape="reponse_existante", etape_date="2024-11-12",
               motif=None, reponse=f"projets/{answer}")
    assert tag == '"10"'
    journal = editor.get(f"/api/collections/besoins/items/{fid}/history").json()["versions"]
    assert [v["version"] for v in journal] == list(range(10, 0, -1))
    assert all("etape" in v["changed"] and "etape_date" in v["changed"]
               for v in journal[:-1])  # qualifie (v2) onwards: each step dated
    old = editor.get(f"/api/collections/besoins/items/{fid}/history/9").json()
    assert old["properties"]["etape"] == "abandonne" and old["properties"]["motif"] == SECRET


def _refused(response, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors, errors
    assert words in errors[field], errors[field]
    assert f"{field} : " in response.json()["detail"]


def test_every_refusal_names_the_field(site):
    editor, moderator, public = site.client("editor"), site.client("moderator"), site.client()
    answer, _ = create(editor, "projets", project("Réponse d'essai (refus)"))
    doomed, doomed_tag = create(editor, "projets", project("Projet supprimé (refus)"))
    assert moderator.delete(f"/api/collections/projets/items/{doomed}",
                            headers={"If-Match": doomed_tag}).status_code == 204
    fid, tag = create(editor, "besoins", need("Besoin des refus", "2024-03-10"))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = [
        ({"etape": "presque_lance", "etape_date": "2024-04-01"}, "etape",
         "n'est pas une valeur admise"),
        ({"etape": "exploration"}, "etape_date", "obligatoire"),
        ({"etape": "exploration", "etape_date": "2024-04"}, "etape_date", "AAAA-MM-JJ"),
        ({"etape": "exploration", "etape_date": "2024-02-30"}, "etape_date", "AAAA-MM-JJ"),
        ({"etape": "exploration", "etape_date": tomorrow}, "etape_date", "à venir"),
        ({"etape": "exploration", "etape_date": "2024-03-09"}, "etape_date",
         "précède le signalement"),
        ({"etape": "lance", "etape_date": "2024-04-01"}, "reponse", "obligatoire"),
        ({"etape": "reponse_existante", "etape_date": "2024-04-01"}, "reponse",
         "obligatoire"),
        ({"etape": "lance", "etape_date": "2024-04-01", "reponse": answer}, "reponse",
         "collection/identifiant"),
        ({"etape": "lance", "etape_date": "2024-04-01", "reponse": "qpv/QN03107M"},
         "reponse", "n'est pas une couche de projets ou de lieux"),
        ({"etape": "lance", "etape_date": "2024-04-01", "reponse": "projets/inconnu-0"},
         "reponse", "aucun objet « inconnu-0 » dans projets"),
        ({"etape": "lance", "etape_date": "2024-04-01", "reponse": f"projets/{doomed}"},
         "reponse", "aucun objet"),
        ({"etape": "exploration", "etape_date": "2024-04-01",
          "reponse": f"projets/{answer}"}, "reponse", "seulement pour une activité lancée"),
        ({"etape": "abandonne", "etape_date": "2024-04-01"}, "motif", "dites pourquoi"),
        ({"etape": "abandonne", "etape_date": "2024-04-01", "motif": "  "}, "motif",
         "dites pourquoi"),
    ]
    for properties, field, words in cases:
        _refused(patch(editor, fid, tag, properties), field, words)
    # nothing was written by the refusals
    assert public.get(f"/api/collections/besoins/items/{fid}").headers["ETag"] == tag
    # a new stage needs its own date: a PATCH that keeps the previous one is refused
    tag = move(editor, fid, tag, etape="exploration", etape_date="2024-04-01")
    _refused(patch(editor, fid, tag, {"etape": "etude_opportunite"}), "etape_date",
             "date de la nouvelle étape")
    # the same rules on creation, and a resident never sets a stage
    _refused(editor.post("/api/collections/besoins/items",
                         json=need("Lancé sans réponse", "2024-01-01", etape="lance",
                                   etape_date="2024-02-01")), "reponse", "obligatoire")
    proposed = public.post("/api/proposals", json={
        "collection": "besoins", "feature": need("Proposé avec étape", "2024-01-01",
                                                 etape="lance")})
    _refused(proposed, "etape", "fixé par le service")


def test_a_need_stored_before_stages_is_repere(site):
    """A need written without ``etape`` (an older store, a seed, open data): public reads
    say « repere », and its next write stores it."""
    from geoservice.catalog import load_catalog
    from geoservice.editing.upsert import upsert
    from geoservice.settings import Settings
    from geoservice.storage import open_store

    settings = Settings(data_dir=site.work, database_url=site.database_url)
    storage = open_store(settings)
    try:
        layer = load_catalog(settings.layers_dir)["besoins"]
        old = need("Besoin d'avant les étapes", "2019-05-02")
        old["properties"].update(id="besoin-ancien-1", territoire="toulouse-metropole")
        assert "etape" not in old["properties"]
        upsert(storage, layer, [old], "besoin d'une version précédente")
        stored = storage.features.get("besoins", "besoin-ancien-1")
        assert "etape" not in stored.properties
    finally:
        storage.close()
    public, editor = site.client(), site.client("editor")
    url = "/api/collections/besoins/items/besoin-ancien-1"
    import time

    deadline = time.monotonic() + 20
    while public.get(url).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.25)  # the server's read model catches up (refresh every 0.25 s)
    item = public.get(url)
    assert item.json()["properties"]["etape"] == "repere"
    listed = public.get("/api/collections/besoins/items", params={"etape": "repere",
                                                                  "limit": 1000}).json()
    assert "besoin-ancien-1" in [f["id"] for f in listed["features"]]
    tag = move(editor, "besoin-ancien-1", item.headers["ETag"], description="précisé")
    journal = editor.get(f"{url}/history").json()["versions"]
    assert "etape" in journal[0]["changed"] and tag == '"2"'
    assert editor.get(f"{url}/history/2").json()["properties"]["etape"] == "repere"


def test_the_reason_of_an_abandon_stays_with_the_staff(site):
    editor, public = site.client("editor"), site.client()
    fid, tag = create(editor, "besoins", need("Besoin abandonné (motif)", "2024-02-02",
                                              where=CENTRE))
    tag = move(editor, fid, tag, etape="abandonne", etape_date="2024-03-03", motif=SECRET)
    url = f"/api/collections/besoins/items/{fid}"
    seen = public.get(url)
    assert seen.status_code == 200 and seen.json()["properties"]["etape"] == "abandonne"
    assert "motif" not in seen.json()["properties"] and SECRET not in seen.text
    for params in ({"limit": 1000}, {"f": "csv"}, {"f": "gpkg"}):
        assert SECRET.encode() not in public.get("/api/collections/besoins/items",
                                                 params=params).content
    assert "motif" not in public.get("/api/collections/besoins/queryables").text
    assert public.get("/api/collections/besoins/items",
                      params={"motif": SECRET}).status_code == 400
    assert public.get("/api/collections/besoins/items", params={
        "filter": f"motif = '{SECRET}'", "filter-lang": "cql2-text"}).status_code == 400
    layers = {la["id"]: la for la in public.get("/api/map/config").json()["layers"]}
    assert "etape" in layers["besoins"]["labels"] and "motif" not in layers["besoins"]["labels"]
    # an editor reads it with the feature (what the edit form and the board show)
    staff = editor.get(url)
    assert staff.json()["properties"]["motif"] == SECRET
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert staff.headers["ETag"] == tag
    schema = editor.get("/api/collections/besoins/schema").json()
    motif = schema["properties"]["motif"]
    assert motif["x-staff-only"] is True
    etape = schema["properties"]["etape"]
    assert etape["default"] == "repere"
    assert {"const": "lance", "title": "Activité lancée"} in etape["oneOf"]


@pytest.mark.parametrize("stage", ["lance", "reponse_existante"])
def test_an_answer_may_be_any_ess_place(site, stage):
    editor = site.client("editor")
    place = {"type": "Feature", "geometry": {"type": "Point", "coordinates": CENTRE},
             "properties": {"nom": f"Lieu qui répond ({stage})", "type": "tiers_lieu",
                            "defi": [], "statut": "ouvert", "precision": "adresse",
                            "source": "test automatique (données synthétiques)"}}
    place_id, _ = create(editor, "hebergement", place)
    fid, tag = create(editor, "besoins", need(f"Besoin {stage}", "2024-04-04"))
    move(editor, fid, tag, etape=stage, etape_date="2024-04-05",
         reponse=f"hebergement/{place_id}")


def test_a_laureat_amount_is_never_negative(site):
    editor = site.client("editor")
    refused = editor.post("/api/collections/projets/items",
                          json=project("Lauréat négatif", laureat=True, montant_eur=-5))
    _refused(refused, "montant_eur", "positif ou nul")
    pid, tag = create(editor, "projets", project("Lauréat à zéro", laureat=True,
                                                  montant_eur=0, annee=2020))
    _refused(patch(editor, pid, tag, {"montant_eur": -0.5}, layer="projets"), "montant_eur",
             "positif ou nul")
