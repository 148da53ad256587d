"""The territory over time on a real server, on both stores: opening and closing dates on
writes (422), ``datetime`` on items (interval forms, partial dates, undated features
counted apart), the ranking at three dates around an opening and a closing, the yearly
evolution and what moved it, and ``as_of`` read from the history (a later edit, a
creation, a deletion). Every feature here is synthetic and says so."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import openpyxl

from tests.editing_site import site_on_both_stores
from tests.fabrique.conftest import GRAND_MIRAIL, create, need, patch, project

MIRAIL = "QN03107M"
SYNTHETIC = "test automatique (données synthétiques)"


site = site_on_both_stores("time")


def _errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def place(nom: str, **extra) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": GRAND_MIRAIL},
            "properties": {"nom": nom, "type": "lieu_totem", "defi": ["inclusion"],
                           "statut": "ouvert", "precision": "rue", "source": SYNTHETIC,
                           "territoire": "toulouse-metropole", **extra}}


def test_opening_and_closing_dates_on_writes(site):
    editor = site.client("editor")
    refused = editor.post("/api/collections/projets/items", json=project(
        "Temps refus 1", date_ouverture="2013-05", date_fermeture="2012", statut="ferme"))
    assert "précède l'ouverture" in _errors(refused)["date_fermeture"]
    refused = editor.post("/api/collections/lieux_totems/items", json=place(
        "Temps refus 2", date_ouverture="2010", date_fermeture="2011-03"))
    assert "ferme" in _errors(refused)["statut"]
    refused = editor.post("/api/collections/lieux_totems/items", json=place(
        "Temps refus 3", date_ouverture="2011-02-30"))
    assert "date_ouverture" in _errors(refused)
    fid, tag = create(editor, "projets", project("Temps partiel", date_ouverture="2010-05",
                                                 statut="ouvert"))
    # closing it later: the status must follow (never set behind the writer's back)
    assert "statut" in _errors(patch(editor, fid, tag, {"date_fermeture": "2011"},
                                     layer="projets"))
    done = patch(editor, fid, tag, {"date_fermeture": "2011", "statut": "ferme"},
                 layer="projets")
    assert done.status_code == 200, done.text


def test_datetime_on_items_counts_the_undated(site):
    editor, public = site.client("editor"), site.client()
    ids = {}
    for key, dates in {"a": ("2005-03", "2007", "ferme"), "b": ("2006", None, "ouvert"),
                       "c": (None, None, "ouvert"), "d": ("2005-06-15", "2005-06-20", "ferme")
                       }.items():
        extra = {"statut": dates[2]}
        if dates[0]:
            extra["date_ouverture"] = dates[0]
        if dates[1]:
            extra["date_fermeture"] = dates[1]
        ids[key], _ = create(editor, "projets", project(f"Temps items {key}", **extra))

    def found(when: str) -> tuple[set[str], int, str]:
        response = public.get("/api/collections/projets/items", params={
            "datetime": when, "filter": "nom LIKE 'Temps items%'"})
        assert response.status_code == 200, response.text
        body = response.json()
        names = {k for k, v in ids.items() if v in {f["id"] for f in body["features"]}}
        return names, body["numberUndated"], response.headers["Geoservice-Number-Undated"]

    assert found("2005-05-01") == ({"a"}, 1, "1")  # instant; c's dates say nothing
    assert found("2005-06-20")[0] == {"a"}  # d closed that day: [opening, closing)
    assert found("2005-06-19")[0] == {"a", "d"}
    assert found("2005-06")[0] == {"a", "d"}  # a partial instant covers its month
    assert found("2006-06-01/2006-12-31")[0] == {"a", "b"}  # closed interval
    assert found("../2005-02-28") == (set(), 1, "1")  # ../end
    assert found("2007-01-01/..")[0] == {"b", "c"}  # start/.. reaches today: c is open now
    assert found("2007-01-01/..")[1] == 0
    assert found("../..")[0] == {"a", "b", "c", "d"}
    csv = public.get("/api/collections/projets/items", params={
        "datetime": "2005", "filter": "nom LIKE 'Temps items%'", "f": "csv"})
    assert csv.headers["Geoservice-Number-Undated"] == "1"
    collection = public.get("/api/collections/projets").json()
    assert collection["extent"]["temporal"]["interval"][0][0] <= "2005-03-01"
    assert collection["geoservice:temporalPeriod"] == ["date_ouverture", "date_fermeture"]
    bad = public.get("/api/collections/projets/items", params={"datetime": "2005-13"})
    assert bad.status_code == 400 and "datetime" in bad.json()["detail"]


def _mirail(client, day: str | None) -> dict:
    params = {"defi": "inclusion"} | ({"date": day} if day else {})
    response = client.get("/api/analysis/underserved", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return body, next(i for i in body["items"] if i["code_qp"] == MIRAIL)


def test_ranking_at_three_dates_around_an_opening_and_a_closing(site):
    editor, public = site.client("editor"), site.client()
    totem, _ = create(editor, "lieux_totems", place(
        "Temps lieu (classement)", date_ouverture="2016-03", date_fermeture="2018-06-01",
        statut="ferme"))
    spotted, tag = create(editor, "besoins", need(
        "Temps besoin (classement)", "2016-09-01", defi=["inclusion"], etape="lance",
        etape_date="2018-02-01", reponse=f"lieux_totems/{totem}"))
    before_body, before = _mirail(public, "2016-01-15")
    open_body, during = _mirail(public, "2017-06-30")
    _, after = _mirail(public, "2019-01-01")
    _, now = _mirail(public, None)
    assert during["measures"]["answers"] == before["measures"]["answers"] + 1
    assert after["measures"]["answers"] == before["measures"]["answers"]
    assert now["measures"]["answers"] == before["measures"]["answers"]  # closed now
    assert [n["id"] for n in during["needs"]] == [spotted]  # reported, not yet launched
    assert before["needs"] == [] and after["needs"] == []
    assert after["needs_answered"][0]["id"] == spotted
    # one more answer (weaker « answer » component), one unmet need (stronger « demand »)
    assert during["components"]["answer"] < before["components"]["answer"]
    assert during["components"]["demand"] > before["components"]["demand"]
    assert after["components"] == before["components"] and after["score"] == before["score"]
    facts = open_body["date"]
    assert facts["date"] == "2017-06-30"
    assert facts["answers"]["dated"] >= 1 and facts["answers"]["undated"] >= 1
    assert "statut actuel" in facts["answers"]["undated_rule"]
    assert set(facts["not_dated"]) == {"qpv", "indicateurs", "stations"}
    assert before_body["date"]["needs"]["reported_by_then"] < facts["needs"]["reported_by_then"]
    assert _mirail(public, None)[0]["date"] is None
    for bad in ("2017-02-30", "2017", "demain", "2999-01-01"):
        refused = public.get("/api/analysis/underserved", params={"date": bad})
        assert refused.status_code == 400, bad
        assert "date" in refused.json()["detail"]
    # the series of the QPV: one step per year, what moved it listed
    response = public.get("/api/analysis/evolution", params={
        "qpv": MIRAIL, "defi": "inclusion", "from": "2015", "to": "2019"})
    assert response.status_code == 200, response.text
    body = response.json()
    series = body["series"]
    assert [s["date"] for s in series] == [f"{y}-12-31" for y in range(2015, 2020)]
    answers = [s["answers"] for s in series]
    assert answers[1] == answers[0] + 1 and answers[2] == answers[1]  # open 2016, 2017
    assert answers[3] == answers[0]  # closed June 2018
    needs = [s["needs_open"] for s in series]
    assert needs[:4] == [0, 1, 1, 0]
    moved = {s["date"][:4]: {(m["event"], m["id"]) for m in s["moved"]} for s in series}
    assert moved["2015"] == set()
    assert {("ouverture", totem), ("besoin_signale", spotted)} <= moved["2016"]
    assert {("fermeture", totem), ("besoin_lance", spotted)} <= moved["2018"]
    assert series[0]["rank"] is not None and body["step"].startswith("31 décembre")
    assert len(body["undated"]) == 5
    csv = public.get("/api/analysis/evolution", params={
        "qpv": MIRAIL, "defi": "inclusion", "from": "2015", "to": "2019", "f": "csv"})
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("code_qp;lib_qp;date;rank;score;answers;needs_open")
    assert len(lines) == 6 and "ouverture : Temps lieu (classement) (2016-03)" in lines[2]
    score = lines[1].split(";")[4]  # the one Excel-FR dialect: a decimal comma
    assert "," in score and "." not in score, lines[1]
    book = public.get("/api/analysis/evolution", params={
        "qpv": MIRAIL, "defi": "inclusion", "from": "2015", "to": "2019", "f": "xlsx"})
    assert book.status_code == 200, book.text
    sheet = openpyxl.load_workbook(io.BytesIO(book.content))["evolution"]
    header, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:4] == ["Code du QPV", "Nom du QPV", "Date du pas", "Rang"]
    assert isinstance(first[3], int) and isinstance(first[4], float)  # typed cells
    assert first[2].year == 2015 and first[2].month == 12 and first[2].day == 31
    assert "Dictionnaire" in openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    every = public.get("/api/analysis/evolution", params={"from": "2018", "to": "2019"})
    assert every.status_code == 200 and len(every.json()["qpv"]) == 16  # Toulouse Métropole
    for params in ({"qpv": "QN99999Z"}, {"from": "2019", "to": "2018"}, {"from": "20"},
                   {"to": "2999"}):
        refused = public.get("/api/analysis/evolution", params=params)
        assert refused.status_code in (400, 404), (params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


def _pause() -> None:
    time.sleep(0.05)  # history stamps are to the millisecond: never on the instant itself


def test_as_of_reads_the_record_as_it_stood(site):
    admin, public = site.client("admin"), site.client()
    kept, tag = create(admin, "projets", project("Asof gardé"))
    gone, gone_tag = create(admin, "projets", project("Asof supprimé"))
    _pause()
    instant = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    _pause()
    assert patch(admin, kept, tag, {"nom": "Asof gardé (renommé)"},
                 layer="projets").status_code == 200
    later, _ = create(admin, "projets", project("Asof créé après"))
    deleted = admin.delete(f"/api/collections/projets/items/{gone}",
                           headers={"If-Match": gone_tag})
    assert deleted.status_code in (200, 204), deleted.text
    time.sleep(0.6)  # the server's read model catches up (GEOSERVICE_REFRESH_INTERVAL)
    url = "/api/collections/projets/items"
    then = admin.get(url, params={"as_of": instant, "filter": "nom LIKE 'Asof%'"})
    assert then.status_code == 200, then.text
    names = {f["id"]: f["properties"]["nom"] for f in then.json()["features"]}
    assert names == {kept: "Asof gardé", gone: "Asof supprimé"}
    assert then.json()["metadata"]["as_of"].startswith(instant[:19])
    assert then.headers["Cache-Control"] == "private, no-store"
    now = admin.get(url, params={"filter": "nom LIKE 'Asof%'"}).json()
    assert {f["id"] for f in now["features"]} == {kept, later}
    one = admin.get(f"{url}/{kept}", params={"as_of": instant})
    assert one.status_code == 200 and one.json()["properties"]["nom"] == "Asof gardé"
    assert admin.get(f"{url}/{gone}", params={"as_of": instant}).status_code == 200
    missing = admin.get(f"{url}/{later}", params={"as_of": instant})
    assert missing.status_code == 404 and "Aucun objet" in missing.json()["detail"]
    csv = admin.get(url, params={"as_of": instant, "f": "csv"})
    assert csv.headers["Geoservice-As-Of"].startswith(instant[:19])
    gpkg = admin.get(url, params={"as_of": instant, "f": "gpkg"})
    assert gpkg.status_code == 200 and b"as_of" in gpkg.content
    # refusals: French problem+json
    for params, status in (({"as_of": "hier"}, 400), ({"as_of": "2024-05-01"}, 400),
                           ({"as_of": "2024-02-30T10:00:00Z"}, 400)):
        refused = admin.get(url, params=params)
        assert refused.status_code == status, refused.text
        assert "as_of" in refused.json()["detail"]
    assert public.get(url, params={"as_of": instant}).status_code == 401
    reference = admin.get("/api/collections/qpv/items", params={"as_of": instant})
    assert reference.status_code == 400 and "historique" in reference.json()["detail"]
