"""The Fabrique à initiatives' screens in headless Chromium against a real `geoservice serve`:
on a 375 px phone, by keyboard only, an editor moves a need through the « Suivi des
besoins » board (repéré → exploration → étude d'opportunité → activité lancée, with the
project that answers it), meets the server's refusals next to their fields and a
concurrent change (412); the need's journal lists its steps; the « Bilan annuel » shows the
year's sentence and figures, its CSV, and prints alone. A resident's follow-up link says the
stage of the need they proposed, and the public map's card says the stage, never the
team's reason for an abandon. Axe: no violation on the board nor the bilan."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.editing_site import Site
from tests.fabrique.conftest import GRAND_MIRAIL, create, need, project

PASSWORD = "un mot de passe pour la Fabrique"
PHONE = {"width": 375, "height": 740, "is_mobile": True, "has_touch": True}
SECRET = "porteur parti sans prévenir 5511"
YEAR = date.today().year
TODAY = date.today().isoformat()
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("fabrique-ui"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("editor@example.fr", PASSWORD)
    editor = made.client("editor")
    made.project, _ = create(editor, "projets", project("Épicerie du Grand Mirail (essai)"))
    made.need, _ = create(editor, "besoins", need("Épicerie solidaire (essai)", f"{YEAR}-01-05"))
    made.other, _ = create(editor, "besoins", need("Laverie solidaire (essai)", f"{YEAR}-01-06",
                                                   where=[1.4437, 43.6045],
                                                   defi=["economie_circulaire"]))
    dropped, tag = create(editor, "besoins", need("Garage solidaire (essai)", f"{YEAR}-01-07"))
    done = editor.patch(f"/api/collections/besoins/items/{dropped}",
                        json={"properties": {"etape": "abandonne", "etape_date": f"{YEAR}-01-08",
                                             "motif": SECRET}},
                        headers={**MERGE, "If-Match": tag})
    assert done.status_code == 200, done.text
    made.dropped = dropped
    yield made
    made.stop()


def log_in(page) -> None:  # noqa: ANN001
    page.locator("#login-open").click()
    page.locator("#login-email").fill("editor@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_selector("body[data-fabrique=ready]", state="attached", timeout=15_000)


def press(page, locator) -> None:  # noqa: ANN001
    """Focus a control and press Enter: the keyboard, not the mouse."""
    locator.focus()
    page.keyboard.press("Enter")


def card(page, fid: str):  # noqa: ANN001, ANN201
    return page.locator(f".need-card[data-need='{fid}']")


def column_of(page, fid: str) -> str:  # noqa: ANN001
    return card(page, fid).evaluate("n => n.closest('.stage-col').dataset.stage")


def move(page, fid: str, stage: str, day: str | None = None) -> None:  # noqa: ANN001
    """Open the need's move form by keyboard, choose the stage, save by keyboard."""
    press(page, card(page, fid).locator(".move-open"))
    form = card(page, fid).locator(".move-form")
    form.wait_for()
    select = form.locator("select")
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    select.select_option(stage)
    if day is not None:
        form.locator("input[type=date]").fill(day)
    else:
        assert form.locator("input[type=date]").input_value() == TODAY  # today by default
    press(page, form.locator("button[type=submit]"))


def moved(page, fid: str, stage: str) -> None:  # noqa: ANN001
    page.locator(f".stage-col[data-stage='{stage}'] .need-card[data-need='{fid}']").wait_for()
    # the focus follows the card to its new column
    assert page.evaluate("document.activeElement.closest('.need-card').dataset.need") == fid
    assert page.evaluate("document.activeElement.closest('.stage-col').dataset.stage") == stage


def no_overflow(page) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_board_by_keyboard_on_a_phone(site, open_page):
    rec = open_page(site.url + "/", **PHONE)
    page = rec.page
    log_in(page)
    press(page, page.locator("#fab-open-board"))
    page.wait_for_selector("body[data-board=ready]", state="attached")
    assert page.evaluate("document.activeElement.id") == "fabrique-title"
    # one column per stage, French labels from the layer's schema
    heads = page.locator(".stage-col h3").all_inner_texts()
    assert [h.rsplit(" (", 1)[0] for h in heads] == [
        "Repéré", "Qualifié", "Exploration", "Étude d'opportunité", "Recherche d'un porteur",
        "Accompagnement du porteur", "Activité lancée", "Abandonné", "Réponse existante"]
    fid = site.need
    text = card(page, fid).inner_text()
    assert "Grand Mirail" in text and "QN03107M" not in text  # the QPV's name, not its code
    assert "Alimentation durable" in text and "Dans cette étape depuis" in text
    assert column_of(page, fid) == "repere"
    assert column_of(page, site.dropped) == "abandonne"
    no_overflow(page)
    assert _violations(page) == []

    # repéré → exploration → étude d'opportunité, the date of the day by default
    move(page, fid, "exploration")
    moved(page, fid, "exploration")
    assert "Exploration" in page.locator("#fabrique-status").inner_text()
    assert "depuis aujourd'hui" in card(page, fid).inner_text()
    # a step in the future: the server's refusal, in words, next to the date
    move(page, fid, "etude_opportunite", f"{YEAR + 1}-01-01")
    error = card(page, fid).locator(".move-form .field-error").filter(has_text="à venir")
    error.wait_for()
    date_input = card(page, fid).locator("input[type=date]")
    assert date_input.get_attribute("aria-invalid") == "true"
    assert error.get_attribute("id") in date_input.get_attribute("aria-describedby")
    date_input.fill(TODAY)
    press(page, card(page, fid).locator("button[type=submit]"))
    moved(page, fid, "etude_opportunite")
    no_overflow(page)

    # lancé: an answer is required; found by name and chosen by keyboard
    move(page, fid, "lance")
    form = card(page, fid).locator(".move-form")
    form.locator(".field-error").filter(has_text="obligatoire").wait_for()
    search = form.get_by_label("Projet ou lieu qui répond au besoin")
    search.fill("grand mirail (essai")
    search.press("Enter")
    answer = "Épicerie du Grand Mirail (essai)"
    press(page, form.get_by_role("button", name=f"Choisir : {answer} (Projets"))
    assert f"Réponse retenue : {answer}" in form.locator(".chosen").inner_text()
    form.get_by_label("Note pour le journal (facultatif)").fill("ouverte en présence des habitants")
    press(page, form.locator("button[type=submit]"))
    moved(page, fid, "lance")
    stored = httpx.get(f"{site.url}/api/collections/besoins/items/{fid}").json()["properties"]
    assert (stored["etape"], stored["etape_date"], stored["reponse"]) == \
        ("lance", TODAY, f"projets/{site.project}")
    no_overflow(page)
    assert _violations(page) == []

    # the journal: every step, its date and author, the note
    details = card(page, fid).locator("details")
    press(page, details.locator("summary"))
    journal = details.locator("ol.journal")
    journal.wait_for()
    steps = journal.locator("li").evaluate_all("items => items.map(i => i.dataset.stage)")
    assert steps == ["lance", "etude_opportunite", "exploration", "repere"]
    text = journal.inner_text()
    assert "editor@example.fr" in text and "ouverte en présence des habitants" in text
    assert "Épicerie du Grand Mirail (essai)" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fabrique-board-375.png"), full_page=True)

    # filters: the QPV (by name), the Défi
    page.locator("#fab-qpv").select_option(label="Hors QPV")
    assert card(page, fid).count() == 0 and card(page, site.other).count() == 1
    page.locator("#fab-qpv").select_option("")
    page.locator("#fab-defi").select_option("economie_circulaire")
    assert card(page, fid).count() == 0 and card(page, site.other).count() == 1
    page.locator("#fab-defi").select_option("")
    # the console's only complaints: the two refusals asked for above
    assert [e for e in rec.errors if "status of 422" not in e] == [], rec.errors


def test_a_concurrent_change_reloads_the_board(site, open_page):
    rec = open_page(site.url + "/", width=1280, height=900)
    page = rec.page
    log_in(page)
    press(page, page.locator("#fab-open-board"))
    page.wait_for_selector("body[data-board=ready]", state="attached")
    fid = site.other
    with page.expect_response(lambda r: r.url.endswith(f"/besoins/items/{fid}")):
        press(page, card(page, fid).locator(".move-open"))  # the version it starts from
    card(page, fid).locator(".move-form select").select_option("qualifie")
    # someone else moves it meanwhile
    editor = site.client("editor")
    tag = editor.get(f"/api/collections/besoins/items/{fid}").headers["ETag"]
    done = editor.patch(f"/api/collections/besoins/items/{fid}",
                        json={"properties": {"etape": "exploration", "etape_date": TODAY}},
                        headers={**MERGE, "If-Match": tag})
    assert done.status_code == 200, done.text
    press(page, card(page, fid).locator("button[type=submit]"))
    page.locator("#fabrique-status").filter(has_text="Quelqu'un a modifié ce besoin").wait_for()
    page.locator(f".stage-col[data-stage='exploration'] .need-card[data-need='{fid}']").wait_for()
    page.screenshot(path=str(ARTIFACTS / "fabrique-board-1280.png"), full_page=True)
    # dropped: the reason is asked for, beside its field, then kept for the staff
    move(page, fid, "abandonne")
    form = card(page, fid).locator(".move-form")
    form.locator(".field-error").filter(has_text="obligatoire pour un besoin abandonné").wait_for()
    reason = form.get_by_label("Motif de l'abandon (visible de l'équipe seulement)")
    assert reason.get_attribute("aria-invalid") == "true"
    reason.fill("local trouvé trop cher")
    press(page, form.locator("button[type=submit]"))
    moved(page, fid, "abandonne")
    assert "local trouvé trop cher" not in httpx.get(
        f"{site.url}/api/collections/besoins/items/{fid}").text
    # in English: the board is drawn again, the stages with the layer's English labels
    page.locator("#lang").click()
    page.locator(".stage-col[data-stage='repere'] h3").filter(has_text="Spotted").wait_for()
    assert page.locator("#fabrique-title").inner_text() == "Needs follow-up"
    assert "Change stage" in card(page, fid).inner_text()
    assert page.evaluate("document.activeElement.id") == "lang"
    assert [e for e in rec.errors if "status of 412" not in e and "status of 422" not in e] == []


def test_the_bilan_its_sentence_csv_and_print(site, open_page):
    expected = httpx.get(f"{site.url}/api/fabrique/bilan?annee={YEAR}").json()
    for size in (PHONE, {"width": 1280, "height": 900}):
        rec = open_page(site.url + "/", **size)
        page = rec.page
        log_in(page)
        press(page, page.locator("#fab-open-bilan"))
        page.wait_for_selector(f"body[data-bilan='{YEAR}']", state="attached")
        assert page.locator("#bilan-phrase").inner_text() == expected["phrase"]
        assert expected["phrase"].startswith(f"En {YEAR}")
        assert "exploration" in expected["phrase"]
        rows = page.locator("#bilan-qpv tbody th").all_inner_texts()
        assert rows == [row["nom"] for row in expected["par_qpv"]]
        assert "Grand Mirail" in " ".join(rows)
        href = page.locator("#bilan-csv").get_attribute("href")
        assert href.endswith(f"annee={YEAR}&f=csv")
        csv = httpx.get(f"{site.url}/{href}")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert _violations(page) == []
        if size is PHONE:
            no_overflow(page)
            page.screenshot(path=str(ARTIFACTS / "fabrique-bilan-375.png"), full_page=True)
        else:
            page.screenshot(path=str(ARTIFACTS / "fabrique-bilan-1280.png"), full_page=True)
        # another year: its own figures
        page.locator("#bilan-year").select_option(str(YEAR - 1))
        page.wait_for_selector(f"body[data-bilan='{YEAR - 1}']", state="attached")
        assert page.locator("#bilan-heading").inner_text().endswith(str(YEAR - 1))
        page.locator("#bilan-year").select_option(str(YEAR))
        page.wait_for_selector(f"body[data-bilan='{YEAR}']", state="attached")
        assert not rec.errors, rec.errors
    # printed: the bilan alone
    page.emulate_media(media="print")
    assert page.locator("#bilan-phrase").is_visible()
    assert page.locator("#bilan-qpv").is_visible()
    for hidden in ("header.top", "#map", "#staff", "#bilan-year", "#fabrique-back"):
        assert not page.locator(hidden).is_visible(), hidden
    page.screenshot(path=str(ARTIFACTS / "fabrique-bilan-print.png"), full_page=True)
    page.emulate_media(media="screen")
    # back to the map: the focus returns to the button that opened the bilan
    press(page, page.locator("#fabrique-back"))
    assert page.locator("#map").is_visible()
    assert page.evaluate("document.activeElement.id") == "fab-open-bilan"


def test_a_resident_follows_the_stage_and_the_map_hides_staff_notes(site, open_page):
    public, editor = site.client(), site.client("editor")
    made = public.post("/api/proposals", json={
        "collection": "besoins", "contact": "voisin@example.org",
        "feature": {"type": "Feature", "geometry": {"type": "Point", "coordinates": GRAND_MIRAIL},
                    "properties": {"nom": "Atelier vélo (essai)", "defi": ["economie_circulaire"],
                                   "description": "Pas d'atelier pour réparer son vélo",
                                   "precision": "rue", "signale_par": "habitant"}}})
    assert made.status_code == 202, made.text
    made = made.json()
    accepted = site.client("moderator").post(f"/api/proposals/{made['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    fid = public.get(f"/api/proposals/{made['id']}",
                     headers={"Geoservice-Follow-Key": made["follow_key"]}).json()["published"]
    fid = fid.rsplit("/", 1)[1]  # the published need's address
    item = editor.get(f"/api/collections/besoins/items/{fid}")
    done = editor.patch(f"/api/collections/besoins/items/{fid}",
                        json={"properties": {"etape": "etude_opportunite", "etape_date": TODAY}},
                        headers={**MERGE, "If-Match": item.headers["ETag"]})
    assert done.status_code == 200, done.text

    rec = open_page(made["follow"], **PHONE)
    stage = rec.page.locator("#follow-stage")
    stage.wait_for()
    text = stage.inner_text()
    assert "Où en est ce besoin : Étude d'opportunité" in text
    assert "une réponse est à l'étude" in text.lower()
    assert _violations(rec.page) == []
    no_overflow(rec.page)
    rec.page.locator("#contrib").screenshot(path=str(ARTIFACTS / "fabrique-follow-375.png"))

    # the public map: the stage on a need's card, never the reason of an abandon
    rec = open_page(f"{site.url}/#sel=besoins:{site.dropped}")
    detail = rec.page.locator("#detail")
    detail.wait_for()
    assert "Abandonné" in detail.inner_text()
    assert SECRET not in rec.page.content()
    assert not any(SECRET in url for url in rec.requests)
    rec = open_page(f"{site.url}/#sel=besoins:{site.need}")
    rec.page.locator("#detail").wait_for()
    text = rec.page.locator("#detail").inner_text()
    assert "Activité lancée" in text and "Épicerie du Grand Mirail (essai)" in text

    # the QPV's diagnosis lists what the Fabrique works on there, and what found its answer
    page = rec.page
    page.locator("#tab-diag").click()
    page.locator("#diag-table tbody tr").first.wait_for()
    page.locator("#diag-table").get_by_role("button", name="Grand Mirail").click()
    working = page.locator("#detail ul[aria-labelledby=diag-working]")
    working.wait_for()
    assert "Atelier vélo (essai) — Étude d'opportunité" in working.inner_text()
    answered = page.locator("#detail ul[aria-labelledby=diag-answered]").inner_text()
    assert "Épicerie solidaire (essai) — Activité lancée : Épicerie du Grand Mirail (essai)" \
        in answered
    assert _violations(page) == []
