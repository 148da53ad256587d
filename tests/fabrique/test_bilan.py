"""The yearly figures: the sentence's grammar on made-up figures, then on a real server
(both stores) a year where every figure differs from the others, a step dated 31 December
counted in its year, the lauréats that concern a QPV, CSV made safe, and the CLI giving
the same JSON as the API."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
import shapely.geometry

from geoservice.fabrique.bilan import Laureat, Need, Step, figures, phrase, steps_of
from tests.editing_site import cli
from tests.fabrique.conftest import CENTRE, create, move, need, project

NAMES = {"Q1": "Quartier Un", "Q2": "Quartier Deux"}


def _need(qpv, *steps, reported="2025-01-01"):
    return Need(reported, qpv, tuple(Step(s, d) for s, d in steps))


def test_the_sentence_says_one_two_and_none():
    one = figures(2025, [_need("Q1", ("exploration", "2025-02-01"))], [], NAMES)
    assert one["phrase"].startswith("En 2025, 1 exploration a été réalisée dans 1 QPV "
                                    "(aucune étude d'opportunité) ; aucune activité n'a été "
                                    "lancée, aucun besoin n'a été abandonné, aucune réponse "
                                    "existante n'a été trouvée ; 1 besoin a été repéré.")
    assert one["phrase"].endswith("Aucun lauréat de l'Appel à projets et des Prix ESS "
                                  "n'est enregistré pour 2025.")
    two = figures(2025, [
        _need("Q1", ("exploration", "2025-02-01"), ("etude_opportunite", "2025-03-01")),
        _need("Q2", ("exploration", "2025-02-01"), ("etude_opportunite", "2025-03-01"),
              ("lance", "2025-06-01"), reported="2024-12-31"),
        _need(None, ("abandonne", "2025-04-04")),
        _need(None, ("abandonne", "2025-04-04")),
        _need("Q1", ("reponse_existante", "2025-05-05"))],
        [Laureat(2025, 100_000, True), Laureat(2025, 85_000, True),
         Laureat(2025, 10_000.5, False), Laureat(2024, 1, True)], NAMES)
    assert two["phrase"] == (
        "En 2025, 2 explorations et 2 études d'opportunité ont été réalisées dans 2 QPV ; "
        "1 activité a été lancée, 2 besoins ont été abandonnés, pour 1 besoin, une réponse "
        "existante a été trouvée ; 4 besoins ont été repérés. 2 lauréats sur 3 de l'Appel à "
        "projets et des Prix ESS concernent les QPV ; ils ont été soutenus à hauteur de "
        "185\u202f000\u00a0€.")
    assert two["laureats"] == {"total": 3, "qpv": 2, "montant_eur": 195_000.5,
                               "montant_qpv_eur": 185_000}
    assert [r["nom"] for r in two["par_qpv"]] == ["Quartier Deux", "Quartier Un", "Hors QPV"]
    none = figures(2025, [], [Laureat(2025, 5, False)], NAMES)
    assert none["phrase"] == (
        "En 2025, aucune exploration ni étude d'opportunité n'a été réalisée ; aucune "
        "activité n'a été lancée, aucun besoin n'a été abandonné, aucune réponse existante "
        "n'a été trouvée ; aucun besoin n'a été repéré. Le seul lauréat de l'Appel à projets "
        "et des Prix ESS ne concerne pas les QPV.")
    assert phrase({**none, "laureats": {"total": 1, "qpv": 1, "montant_eur": 0,
                                        "montant_qpv_eur": 0}}).endswith(
        "1 lauréat sur 1 de l'Appel à projets et des Prix ESS concerne les QPV (montant du "
        "soutien non renseigné).")


def test_steps_are_runs_of_the_journal():
    journal = [{}, {"etape": "exploration", "etape_date": "2024-12-01"},
               {"etape": "exploration", "etape_date": "2025-01-02"},  # a corrected date
               {"etape": "etude_opportunite", "etape_date": "2025-02-01"},
               {"etape": "exploration", "etape_date": "2025-03-01"}]  # moved back
    assert steps_of(journal) == (Step("repere", None), Step("exploration", "2025-01-02"),
                                 Step("etude_opportunite", "2025-02-01"),
                                 Step("exploration", "2025-03-01"))
    counted = figures(2025, [Need("2024-11-01", "Q1", steps_of(journal))], [], NAMES)
    assert (counted["explorations"], counted["etudes_opportunite"]) == (1, 1)  # once each
    assert figures(2024, [Need("2024-11-01", "Q1", steps_of(journal))], [], NAMES
                   )["explorations"] == 0  # the typo's year no longer counts


def _inside(site, count: int) -> list[tuple[str, str, list[float]]]:
    """(code, name, a point inside) of ``count`` QPV 2024 of the territory."""
    features = site.client().get("/api/collections/qpv/items",
                                 params={"limit": 100}).json()["features"]
    out = []
    for feature in sorted(features, key=lambda f: f["id"])[:count]:
        point = shapely.geometry.shape(feature["geometry"]).representative_point()
        out.append((feature["id"], feature["properties"]["lib_qp"], [point.x, point.y]))
    return out


def _walk(editor, fid: str, tag: str, *steps: tuple) -> None:
    for step in steps:
        stage, day, *extra = step
        tag = move(editor, fid, tag, etape=stage, etape_date=day, **(extra[0] if extra else {}))


@pytest.fixture(scope="package")
def year_2022(site):
    """Needs and lauréats of 2022 (and their neighbours in 2021 and 2023), built once per
    store through the API, as the Fabrique's staff would."""
    editor = site.client("editor")
    (c1, n1, p1), (c2, n2, p2), (c3, n3, p3) = _inside(site, 3)
    answer, _ = create(editor, "projets", project("Réponse lancée (bilan)", where=p1))
    plan = {  # name: (reported, where, steps)
        "A": ("2022-01-05", p1, [("exploration", "2022-02-01"),
                                 ("etude_opportunite", "2022-05-01"),
                                 ("recherche_porteur", "2022-07-01"),
                                 ("accompagnement", "2022-09-01"),
                                 ("lance", "2022-12-31", {"reponse": f"projets/{answer}"})]),
        "B": ("2022-01-10", p1, [("exploration", "2022-03-01"),
                                 ("etude_opportunite", "2022-06-01")]),
        "C": ("2022-02-01", p2, [("etude_opportunite", "2022-04-01"),  # skipped a step
                                 ("abandonne", "2022-08-01", {"motif": "pas de porteur"})]),
        "D": ("2022-03-01", p3, [("exploration", "2022-12-31"),
                                 ("etude_opportunite", "2023-01-01")]),
        "E": ("2022-04-01", p2, [("exploration", "2022-05-05"),
                                 ("etude_opportunite", "2022-06-06"),
                                 ("exploration", "2022-07-07"),  # moved back
                                 ("etude_opportunite", "2022-08-08")]),
        "F": ("2022-05-01", CENTRE, [("etude_opportunite", "2022-09-09"),
                                     ("abandonne", "2022-10-10", {"motif": "=cmd|' /C calc'!A0"})]),
        "G": ("2021-12-31", p3, [("qualifie", "2022-01-15")]),
        "H": ("2022-06-01", CENTRE, []),
    }
    for name, (reported, where, steps) in plan.items():
        fid, tag = create(editor, "besoins", need(f"Besoin {name} (bilan)", reported,
                                                  where=where))
        _walk(editor, fid, tag, *steps)
    for name, where, extra in [
            ("P1", p1, {"laureat": True, "annee": 2022, "montant_eur": 30_000}),
            ("P2", CENTRE, {"laureat": True, "annee": 2022, "montant_eur": 15_000,
                            "qpv": "Négreneys (QPV 2015 QP031018)"}),
            ("P3", CENTRE, {"laureat": True, "annee": 2022, "montant_eur": 20_000}),
            ("P4", p2, {"laureat": False, "annee": 2022, "montant_eur": 99_999}),
            ("P5", p3, {"laureat": True, "annee": 2021, "montant_eur": 5_000})]:
        create(editor, "projets", project(f"Lauréat {name} (bilan)", where=where, **extra))
    return {"codes": (c1, c2, c3), "names": (n1, n2, n3)}


def test_a_year_where_every_figure_differs(site, year_2022):
    public = site.client()
    got = public.get("/api/fabrique/bilan", params={"annee": "2022"})
    assert got.status_code == 200, got.text
    body = got.json()
    figures_2022 = {k: body[k] for k in ("besoins_reperes", "explorations",
                                         "etudes_opportunite", "qpv_concernes",
                                         "activites_lancees", "abandons",
                                         "reponses_existantes")}
    assert figures_2022 == {"besoins_reperes": 7, "explorations": 4, "etudes_opportunite": 5,
                            "qpv_concernes": 3, "activites_lancees": 1, "abandons": 2,
                            "reponses_existantes": 0}
    assert len(set(figures_2022.values())) == len(figures_2022)
    assert body["laureats"] == {"total": 3, "qpv": 2, "montant_eur": 65_000,
                                "montant_qpv_eur": 45_000}
    (c1, c2, c3), n1 = year_2022["codes"], year_2022["names"][0]
    rows = {r["code_qp"]: r for r in body["par_qpv"]}
    assert (rows[c1]["nom"], rows[c1]["explorations"], rows[c1]["etudes_opportunite"],
            rows[c1]["activites_lancees"]) == (n1, 2, 2, 1)
    assert (rows[c2]["etudes_opportunite"], rows[c2]["abandons"]) == (2, 1)
    assert (rows[c3]["explorations"], rows[c3]["etudes_opportunite"]) == (1, 0)
    assert rows[None]["nom"] == "Hors QPV" and rows[None]["abandons"] == 1
    assert body["phrase"] == (
        "En 2022, 4 explorations et 5 études d'opportunité ont été réalisées dans 3 QPV ; "
        "1 activité a été lancée, 2 besoins ont été abandonnés, aucune réponse existante "
        "n'a été trouvée ; 7 besoins ont été repérés. 2 lauréats sur 3 de l'Appel à projets "
        "et des Prix ESS concernent les QPV ; ils ont été soutenus à hauteur de "
        "45\u202f000\u00a0€.")
    # aggregates only: no need's name, no staff note
    assert "Besoin" not in got.text and "pas de porteur" not in got.text


def test_a_step_dated_31_december_counts_in_its_year(site, year_2022):
    public = site.client()
    after = public.get("/api/fabrique/bilan", params={"annee": "2023"}).json()
    before = public.get("/api/fabrique/bilan", params={"annee": "2021"}).json()
    assert (after["explorations"], after["etudes_opportunite"], after["qpv_concernes"],
            after["besoins_reperes"], after["activites_lancees"]) == (0, 1, 1, 0, 0)
    assert after["phrase"].startswith("En 2023, 1 étude d'opportunité a été réalisée dans "
                                      "1 QPV (aucune exploration)")
    assert before["besoins_reperes"] == 1 and before["laureats"]["total"] == 1
    assert before["phrase"].startswith("En 2021, aucune exploration ni étude d'opportunité")


def test_csv_and_refusals(site, year_2022):
    public = site.client()
    got = public.get("/api/fabrique/bilan", params={"annee": "2022", "f": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="bilan_fabrique_2022.csv"' in got.headers["Content-Disposition"]
    text = got.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["annee", "code_qp", "nom", "besoins_reperes"]
    total = next(r for r in rows if len(r) > 2 and r[2] == "Total")
    assert total[3:9] == ["7", "4", "5", "1", "2", "0"]
    assert total[-1] == ""  # « QPV concerné » is yes/no per QPV, not a count
    summary = rows[rows.index(["annee", "qpv_concernes", "laureats", "laureats_qpv",
                               "montant_eur", "montant_qpv_eur"]) + 1]
    assert summary[:2] == ["2022", "3"]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert "calc" not in text  # a staff note never reaches the figures
    for params in ({"annee": "deux mille"}, {"annee": "1999"}, {"annee": "2022", "f": "xls"},
                   {}, {"annee": "2022", "defi": "x"}):
        refused = public.get("/api/fabrique/bilan", params=params)
        assert refused.status_code in (400, 422), (params, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_bilan_workbook_read_by_openpyxl(site, year_2022, tmp_path):
    """Issue 29: the bilan as XLSX (typed cells, French header, dictionary), the same
    figures as the JSON; ODS answered too."""
    from openpyxl import load_workbook

    public = site.client()
    figures = public.get("/api/fabrique/bilan", params={"annee": "2022"}).json()
    got = public.get("/api/fabrique/bilan", params={"annee": "2022", "f": "xlsx"})
    assert got.status_code == 200, got.text
    assert 'filename="bilan_fabrique_2022.xlsx"' in got.headers["Content-Disposition"]
    path = tmp_path / "bilan.xlsx"
    path.write_bytes(got.content)
    book = load_workbook(path)
    assert book.sheetnames == ["bilan_2022", "laureats", "Dictionnaire"]
    rows = list(book["bilan_2022"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Année", "Code du QPV 2024", "Nom du QPV", "Besoins repérés")
    total = next(r for r in rows if r[2] == "Total")
    assert list(total[3:9]) == [figures[k] for k in ("besoins_reperes", "explorations",
                                                     "etudes_opportunite", "activites_lancees",
                                                     "abandons", "reponses_existantes")]
    assert all(isinstance(v, int) for v in total[3:9])
    assert {type(r[-1]) for r in rows[1:-1]} == {bool}  # « QPV concerné » per QPV
    lau = list(book["laureats"].iter_rows(values_only=True))[1]
    assert lau[2] == figures["laureats"]["total"] and lau[3] == figures["laureats"]["qpv"]
    notes = [r[0] for r in book["Dictionnaire"].iter_rows(values_only=True) if r[0]]
    assert any(figures["phrase"] in n for n in notes)
    ods = public.get("/api/fabrique/bilan", params={"annee": "2022", "f": "ods"})
    assert ods.status_code == 200 and ods.content[:2] == b"PK"


def test_the_cli_gives_the_api_figures(site, year_2022, tmp_path):
    api = site.client().get("/api/fabrique/bilan", params={"annee": "2022"}).json()
    book = tmp_path / "bilan.ods"
    done = cli(site.env, "bilan", "--annee", "2022", "--format", "ods", "-o", str(book))
    assert done.returncode == 0, done.stderr
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(book), "laureats"],
                          capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and f"Lauréats (Integer) = {api['laureats']['total']}" \
        in info.stdout, info.stdout
    no_file = cli(site.env, "bilan", "--annee", "2022", "--format", "xlsx")
    assert no_file.returncode == 1 and "-o" in no_file.stderr
    done = cli(site.env, "bilan", "--annee", "2022", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == api
    text = cli(site.env, "bilan", "--annee", "2022")
    assert text.returncode == 0 and text.stdout.startswith(api["phrase"])
    assert "Hors QPV" in text.stdout
    bad = cli(site.env, "bilan", "--annee", "1850")
    assert bad.returncode == 1 and bad.stderr.startswith("erreur : annee")
