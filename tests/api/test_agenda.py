"""The Agenda on a real server (127.0.0.1), over both stores: staff write events through
Part 4 (422 naming ``fin``, ``rrule``, ``lieu``), an event takes its place's position,
``datetime`` on the items matches occurrences, the iCalendar feed read back by icalendar
(time zone, LOCATION from the place, SEQUENCE growing, STATUS:CANCELLED, filters), one
``.ics`` per event, a partner's calendar (.ics and OpenAgenda JSON, synthetic, served by a
stand-in on 127.0.0.1) imported twice without effect, a changed and a vanished event, a
trusted source pulled, a partner's proposal accepted; on PostGIS, two replicas give the
same UIDs. Every event here is synthetic test data."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from icalendar import Calendar

from tests.editing_site import cli, site_on_both_stores
from tests.servers import Served
from tests.stub_server import StubServer

DATA = Path(__file__).resolve().parent.parent / "agenda" / "data"
ITEMS = "/api/collections/evenements/items"
MERGE = {"Content-Type": "application/merge-patch+json"}
FIL = "lieux_totems/lt-le-fil"
WEEKLY = {"type": "Feature", "geometry": None, "properties": {
    "nom": "Petit dej du FIL (test synthétique)", "debut": "2026-11-03T08:30:00+01:00",
    "fin": "2026-11-03T10:00:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
    "lieu": FIL, "defi": ["inclusion"], "type_evenement": "rencontre",
    "source": "test automatique (synthétique)"}}


site = site_on_both_stores("agenda")


def _feed(client: httpx.Client, query: str = "") -> Calendar:
    answer = client.get(f"/api/agenda.ics{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(answer.content)


def _event(cal: Calendar, name: str):  # noqa: ANN202
    found = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith(name)]
    assert len(found) == 1, [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    return found[0]


def _names(client: httpx.Client, query: str) -> list[str]:
    page = client.get(f"{ITEMS}?limit=1000&{query}")
    assert page.status_code == 200, page.text
    return sorted(f["properties"]["nom"] for f in page.json()["features"])


def _until(check, what: str):  # noqa: ANN001, ANN202
    """The replica polls revisions: wait (at most 20 s) until ``check`` holds."""
    deadline = time.monotonic() + 20
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_staff_events_occurrences_and_feed(site):
    public, editor = site.client(), site.client("editor")
    made = editor.post(ITEMS, json=WEEKLY)
    assert made.status_code == 201, made.text
    feature = made.json()
    fil = public.get("/api/collections/lieux_totems/items/lt-le-fil").json()
    assert feature["geometry"] == fil["geometry"]  # the place's position
    assert feature["properties"]["precision"] == fil["properties"]["precision"]
    assert feature["properties"]["commune"] == "31555"
    fid = feature["id"]

    # datetime matches occurrences: the 4th Tuesday, not the days between
    assert "Petit dej du FIL (test synthétique)" in _names(public, "datetime=2026-11-24")
    for between in ("2026-11-25", "2026-11-18/2026-11-23", "2026-12"):
        assert "Petit dej du FIL (test synthétique)" not in _names(public, f"datetime={between}")
    bad = public.get(f"{ITEMS}?datetime=2026-12/2026-11")
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(
        "application/problem+json")

    cal = _feed(public)
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
    event = _event(cal, "Petit dej du FIL")
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert event.decoded("DTSTART").hour == 8
    assert dict(event["RRULE"]) == {"FREQ": ["WEEKLY"], "BYDAY": ["TU"], "COUNT": [4]}
    assert str(event["LOCATION"]).startswith("Le FIL")  # from the place
    assert str(event["UID"]).startswith(f"evenements-{fid}@")
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event["CATEGORIES"].cats == ["Inclusion économique et sociale"]
    coords = fil["geometry"]["coordinates"]
    assert (event["GEO"].latitude, event["GEO"].longitude) == (coords[1], coords[0])

    # cancelled: a new version, SEQUENCE grows, same UID
    tag = public.get(f"{ITEMS}/{fid}").headers["ETag"]
    done = editor.patch(f"{ITEMS}/{fid}", json={"properties": {"statut_evenement": "annule"}},
                        headers={**MERGE, "If-Match": tag})
    assert done.status_code == 200, done.text
    after = _event(_feed(public), "Petit dej du FIL")
    assert str(after["STATUS"]) == "CANCELLED" and int(after["SEQUENCE"]) == 1
    assert str(after["UID"]) == str(event["UID"])

    one = public.get(f"/api/agenda/{fid}.ics")
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/calendar")
    assert [str(e["UID"]) for e in Calendar.from_ical(one.content).walk("VEVENT")] == \
        [str(event["UID"])]
    missing = public.get("/api/agenda/inconnu.ics")
    assert missing.status_code == 404 and "inconnu" in missing.json()["detail"]


def test_writes_refused_naming_the_field(site):
    editor = site.client("editor")
    cases = {"fin": {"fin": "2026-11-03T07:00:00+01:00"},
             "rrule": {"rrule": "FREQ=WEEKLY;BYDAY=XX"},
             "lieu": {"lieu": "lieux_totems/n-existe-pas"},
             "debut": {"debut": "3 novembre 2026"}}
    for field, change in cases.items():
        body = {**WEEKLY, "properties": {**WEEKLY["properties"], **change}}
        answer = editor.post(ITEMS, json=body)
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert site.client().post(ITEMS, json=WEEKLY).status_code == 401


def test_feed_filters(site):
    public, editor = site.client(), site.client("editor")
    other = {"type": "Feature",
             "geometry": {"type": "Point", "coordinates": [1.4437, 43.6045]},
             "properties": {"nom": "Atelier circulaire (test synthétique)",
                            "debut": "2026-11-12T14:00:00+01:00", "precision": "adresse",
                            "defi": ["economie_circulaire"], "type_evenement": "atelier",
                            "commune": "31555", "source": "test automatique (synthétique)"}}
    assert editor.post(ITEMS, json=other).status_code == 201
    names = {
        "?defi=economie_circulaire": ["Atelier circulaire"],
        "?type_evenement=atelier": ["Atelier circulaire"],
        f"?lieu={FIL}": ["Petit dej du FIL"],
        "?qpv=QN03107M": ["Petit dej du FIL"],  # Le FIL is in Grand Mirail
        "?commune=31555": ["Atelier circulaire", "Petit dej du FIL"],
        "?commune=31069": [],
    }
    for query, wanted in names.items():
        got = sorted(str(e["SUMMARY"]).split(" (")[0] for e in _feed(public, query)
                     .walk("VEVENT") if "test synthétique" in str(e["SUMMARY"]))
        assert got == wanted, query
    bad = public.get("/api/agenda.ics?ville=Toulouse")
    assert bad.status_code == 400 and "ville" in bad.json()["detail"]
    listed = public.get("/api/agenda?datetime=2026-11&lieu=" + FIL).json()
    assert [o["debut"][:10] for o in listed["occurrences"]] == \
        ["2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"]
    assert listed["occurrences"][0]["lieu_nom"] == "Le FIL"


def _partner(files: dict[str, bytes]):  # noqa: ANN202
    def answer(path: str, query: dict) -> tuple[int, bytes, str]:
        if path in files:
            kind = "text/calendar" if path.endswith(".ics") else "application/json"
            return 200, files[path], kind
        return 404, b"", "text/plain"
    return StubServer(answer)


def test_partner_calendars_imported_twice_without_effect(site):
    public, editor = site.client(), site.client("editor")
    ics = (DATA / "partenaire_synthetique.ics").read_bytes()
    files = {"/agenda.ics": ics,
             "/openagenda.json": (DATA / "openagenda_synthetique.json").read_bytes()}
    with _partner(files) as partner:
        url = f"{partner.url}/agenda.ics"
        first = cli(site.env, "agenda", "import", url, "--name", "Partenaire test")
        assert first.returncode == 0, first.stderr
        assert "3 ajouté(s)" in first.stdout and "hors du territoire" in first.stdout
        again = cli(site.env, "agenda", "import", url, "--name", "Partenaire test")
        assert "0 ajouté(s), 0 mis à jour (nouvelle version), 3 inchangé(s)" in again.stdout
        oa = f"{partner.url}/openagenda.json"
        made = cli(site.env, "agenda", "import", oa, "--name", "OpenAgenda test")
        assert "3 ajouté(s)" in made.stdout, made.stdout + made.stderr
        same = cli(site.env, "agenda", "import", oa, "--name", "OpenAgenda test")
        assert "0 ajouté(s), 0 mis à jour (nouvelle version), 3 inchangé(s)" in same.stdout

        listed = _until(lambda: [f for f in public.get(f"{ITEMS}?limit=1000").json()[
            "features"] if "SYNTHÉTIQUE" in f["properties"]["nom"]] or None, "imported")
        _until(lambda: len([f for f in public.get(f"{ITEMS}?limit=1000").json()["features"]
                            if "SYNTHÉTIQUE" in f["properties"]["nom"]]) == 6, "all six")
        listed = [f for f in public.get(f"{ITEMS}?limit=1000").json()["features"]
                  if "SYNTHÉTIQUE" in f["properties"]["nom"]]
        assert {f["properties"]["verification"] for f in listed} == {"a_verifier"}
        cancelled = [f["properties"]["nom"] for f in listed
                     if f["properties"]["statut_evenement"] == "annule"]
        assert sorted(cancelled) == ["Forum annulé (SYNTHÉTIQUE)", "Pause dej (SYNTHÉTIQUE)",
                                     "Pause dej (SYNTHÉTIQUE)"]
        petit_dej = next(f for f in listed if f["properties"]["nom"].startswith("Petit dej"))
        assert petit_dej["properties"]["rrule"] == "FREQ=WEEKLY;COUNT=4;BYDAY=TU"
        assert "Petit dej mensuel (SYNTHÉTIQUE)" in _names(public, "datetime=2026-11-24")

        # a changed event becomes a new version; one gone from the source is said, kept
        files["/agenda.ics"] = ics.replace(b"Atelier r\xc3\xa9emploi (SYNTH", b"Atelier "
                                           b"r\xc3\xa9emploi d\xc3\xa9plac\xc3\xa9 (SYNTH")
        files["/agenda.ics"] = files["/agenda.ics"].replace(
            b"UID:synthetique-forum-annule@", b"UID:synthetique-forum-remplace@")
        changed = cli(site.env, "agenda", "import", url, "--name", "Partenaire test")
        assert "1 ajouté(s), 1 mis à jour (nouvelle version), 1 inchangé(s)" in \
            changed.stdout, changed.stdout
        assert "1 événement(s) absent(s) de la source, gardé(s) (non supprimé(s))" in \
            changed.stdout
        moved = _until(lambda: [f for f in public.get(f"{ITEMS}?limit=1000").json()[
            "features"] if "déplacé" in f["properties"]["nom"]], "updated")
        history = editor.get(f"{ITEMS}/{moved[0]['id']}/history").json()
        versions = history["versions"] if isinstance(history, dict) else history
        assert [v["version"] for v in versions] == [2, 1]

        # a trusted source, declared to be pulled: published verified
        sources = site.work / "agenda_sources.yaml"
        sources.write_text(f"sources:\n  - name: OpenAgenda test\n    url: {oa}\n"
                           "    trusted: true\n    pull: true\n", "utf-8")
        pulled = cli({**site.env, "GEOSERVICE_AGENDA_SOURCES": str(sources)},
                     "agenda", "pull")
        assert "0 ajouté(s), 3 mis à jour" in pulled.stdout, pulled.stdout + pulled.stderr
        assert "de confiance" in pulled.stdout
        _until(lambda: {f["properties"]["verification"] for f in public.get(
            f"{ITEMS}?limit=1000").json()["features"]
            if f["properties"]["nom"].startswith(("Pause dej (S", "Visite apprenante"))}
            == {"verifie"}, "trusted")

    unreachable = cli(site.env, "agenda", "import", "http://127.0.0.1:9/agenda.ics")
    assert unreachable.returncode == 1 and unreachable.stderr.startswith("erreur : ")
    assert len(unreachable.stderr.strip().splitlines()) == 1


def test_partner_proposes_an_event_accepted(site):
    public, moderator = site.client(), site.client("moderator")
    body = {"collection": "evenements", "note": "proposé par un partenaire (test)",
            "feature": {"type": "Feature", "geometry": None, "properties": {
                "nom": "Visite apprenante proposée (test synthétique)",
                "debut": "2026-11-19T10:00:00+01:00", "fin": "2026-11-19T12:00:00+01:00",
                "lieu": FIL, "defi": ["inclusion"], "type_evenement": "visite"}}}
    bad = public.post("/api/proposals", json={**body, "feature": {
        **body["feature"], "properties": {**body["feature"]["properties"],
                                          "fin": "2026-11-18T10:00:00+01:00"}}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fin"
    made = public.post("/api/proposals", json=body)
    assert made.status_code == 202, made.text
    assert "Visite apprenante proposée (test synthétique)" not in _names(public, "")
    accepted = moderator.post(f"/api/proposals/{made.json()['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    item = public.get(accepted.headers["Location"]).json()
    assert item["properties"]["lieu"] == FIL and item["geometry"] is not None
    assert "Visite apprenante proposée" in str(_feed(public, f"?lieu={FIL}").to_ical(),
                                               "utf-8")


def test_diagnostic_mentions_recent_events_outside_the_score(site):
    from datetime import date

    public, editor = site.client(), site.client("editor")
    before = public.get("/api/analysis/underserved").json()
    mirail = next(i for i in before["items"] if i["code_qp"] == "QN03107M")
    today = date.today().isoformat()
    body = {**WEEKLY, "properties": {**WEEKLY["properties"], "rrule": None, "fin": None,
                                     "nom": "Atelier du jour (test synthétique)",
                                     "debut": f"{today}T00:30:00+01:00"}}
    assert editor.post(ITEMS, json=body).status_code == 201
    after = public.get("/api/analysis/underserved").json()
    now = next(i for i in after["items"] if i["code_qp"] == "QN03107M")
    said = [r for r in now["reasons"] if "événement" in r and "12 derniers mois" in r]
    assert len(said) == 1 and "(dernier : Atelier du jour (test synthétique), le " in said[0]
    assert said[0].endswith("hors du score")
    assert now["score"] == mirail["score"]  # a reason, not a component


def test_uid_stable_across_two_replicas(site, request):
    # PostGIS: two replicas of one database; embedded: a second process on the same file
    public = site.client()
    with Served(site.env, log=site.work / "replica-2.log") as second:
        one = {str(e["UID"]): int(e["SEQUENCE"]) for e in _feed(public).walk("VEVENT")}
        with httpx.Client(base_url=second.url, timeout=30) as other:
            two = {str(e["UID"]): int(e["SEQUENCE"]) for e in _feed(other).walk("VEVENT")}
    assert one and one == two
