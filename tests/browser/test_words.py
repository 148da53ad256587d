"""Words, not codes, and the resident's and the phone's screens (issue 28 items 5-8), in
headless Chromium against a real `geoservice serve` on the pulled store (the real open data
of the mirror, plus synthetic proposals that say so):

- no raw code on the screens staff and residents read: cards, the editor's form, a
  feature's history, the moderation queue and a review, the verification list, the
  Diagnostic, the list in view (coded values, commune and QPV codes, feature ids);
- the resident's form shows every problem at once and clears each once fixed, a server's
  field errors too;
- « Mes contributions » lists the follow links kept on the device with their status;
- on a 375 px phone « Espace équipe » is reached from the top, and the editor's map click
  places the point without opening the QPV's card, keeps the focus in the form and sets a
  précision the form shows. Axe at 0 on each new state.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import _violations
from tests.editing_site import Site

PASSWORD = "un mot de passe assez long"
PHONE = {"width": 375, "height": 740, "is_mobile": True, "has_touch": True}
BELLEFONTAINE = [1.4025, 43.5663]  # in the Grand Mirail QPV (QN03107M)
IDS = [re.compile(r"\bQN\d{3}\d{2}[A-Z0-9]\b"), re.compile(r"\btl2019-\d+\b"),
       re.compile(r"\bp-[0-9a-f]{10}\b"), re.compile(r"\b31555\b"), re.compile(r"\b34172\b")]
WORDY = {"verifie", "pepiniere", "repere", "qualifie", "abandonne"}


@pytest.fixture(scope="module")
def site(mirror, ban, tmp_path_factory):
    made = Site(tmp_path_factory.mktemp("words"), mirror, GEOSERVICE_BAN_URL=ban.url)
    made.set_password("moderator@example.fr", PASSWORD)
    yield made
    made.stop()


@pytest.fixture(scope="module")
def codes(site) -> list[re.Pattern]:
    """Every coded value of every editable layer that is not a word of its own (« lieu_totem »,
    « a_verifier », « pepiniere »…), from the layers' schemas, plus ids and place codes."""
    found = set()
    for layer_id in ("lieux_totems", "hebergement", "accompagnement", "projets",
                     "structures_ess", "besoins"):
        props = httpx.get(f"{site.url}/api/collections/{layer_id}/schema").json()["properties"]
        for spec in props.values():
            for value in spec.get("enum") or spec.get("items", {}).get("enum") or []:
                if isinstance(value, str) and ("_" in value or "-" in value or value in WORDY):
                    found.add(value)
    assert {"lieu_totem", "a_verifier", "pepiniere", "economie_circulaire"} <= found
    return [re.compile(rf"(?<![\w-]){re.escape(code)}(?![\w-])") for code in sorted(found)] + IDS


def raw(text: str, codes: list[re.Pattern]) -> list[str]:
    return sorted({m.group(0) for pattern in codes for m in pattern.finditer(text)})


def log_in(page) -> None:  # noqa: ANN001
    page.locator("#login-open").click()
    page.locator("#login-email").fill("moderator@example.fr")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    for part in ("editor", "moderation", "verify"):
        page.wait_for_selector(f"body[data-{part}=ready]", state="attached", timeout=15_000)


def card_of(page, name: str) -> str:  # noqa: ANN001
    page.locator("#search").fill(name)
    page.locator("#search").press("Enter")
    page.locator("#search-results").get_by_text(name).first.click()
    page.locator("#detail-title").wait_for()
    return page.locator("#detail").inner_text()


def test_no_raw_code_on_the_screens(site, codes, open_page):
    moderator = site.client("moderator")
    structures = moderator.get("/api/collections/structures_ess/items",
                               params={"limit": 5}).json()["features"]
    assert structures, "the mirror's open data (structures_ess) is pulled"
    target = structures[0]
    # synthetic proposals: a resident's report on an open-data place, a need in a QPV
    report = httpx.post(f"{site.url}/api/proposals", json={
        "collection": "structures_ess", "target": target["id"], "problem": "n_existe_plus",
        "note": "signalement de test (données synthétiques)"})
    assert report.status_code == 202, report.text
    need = httpx.post(f"{site.url}/api/proposals", json={
        "collection": "besoins", "feature": {"type": "Feature", "geometry": {
            "type": "Point", "coordinates": BELLEFONTAINE}, "properties": {
            "nom": "Besoin de test (données synthétiques)", "defi": ["inclusion"],
            "description": "texte de test", "signale_par": "habitant",
            "precision": "quartier"}}})
    assert need.status_code == 202, need.text
    totem = moderator.get("/api/collections/lieux_totems/items").json()["features"]
    totem = next(f for f in totem if f["properties"].get("commune") == "31555")
    tag = moderator.get(f"/api/collections/lieux_totems/items/{totem['id']}").headers["ETag"]
    edited = moderator.patch(f"/api/collections/lieux_totems/items/{totem['id']}",
                             content='{"properties": {"verification": "verifie"}}',
                             headers={"If-Match": tag,
                                      "Content-Type": "application/merge-patch+json"})
    assert edited.status_code == 200, edited.text

    rec = open_page(site.url + "/#map=12/43.6045/1.4433")
    page = rec.page
    log_in(page)
    seen: dict[str, str] = {}
    # cards: a lieu totem of Toulouse, a project, an open-data structure
    seen["card lieu totem"] = card_of(page, totem["properties"]["nom"])
    assert "Toulouse" in seen["card lieu totem"] and "Lieu totem" in seen["card lieu totem"]
    seen["card structure"] = card_of(page, target["properties"]["nom"])
    # the editor's form and the feature's history
    card_of(page, totem["properties"]["nom"])
    page.locator("#detail").get_by_role("button", name="Modifier").click()
    page.locator("#ed-statut").wait_for()
    seen["form"] = page.locator("#editor-work").inner_text()
    assert page.locator("#ed-commune option:checked").inner_text() == "Toulouse"
    page.locator("#detail").get_by_role("button", name="Historique").click()
    page.locator("#history-heading").wait_for()
    seen["history"] = page.locator("#editor-work").inner_text()
    assert "Vérification" in seen["history"]
    # the moderation queue and the report's review
    page.locator("#mod-show").click()
    page.locator("#mod-queue").wait_for()
    seen["queue"] = page.locator("#mod-queue").inner_text()
    assert target["properties"]["nom"] in seen["queue"]
    assert "Grand Mirail" in seen["queue"]
    page.locator("#mod-queue li", has_text=target["properties"]["nom"]).get_by_role(
        "button", name="Examiner").click()
    page.locator("#mod-compare").wait_for()
    seen["review"] = page.locator("#editor-work").inner_text()
    page.locator("#editor-work").get_by_role("button").last.click()  # back to the queue
    page.locator("#mod-queue").wait_for()
    page.locator("#mod-queue li", has_text="Besoin de test").get_by_role(
        "button", name="Examiner").click()
    page.locator("#mod-compare").wait_for()
    seen["review need"] = page.locator("#editor-work").inner_text()
    assert _violations(page) == []
    # the verification list
    page.locator("#verify-show").click()
    page.locator("#verify-list").wait_for()
    seen["verify"] = page.locator("#editor-work").inner_text()
    # the list in view
    seen["list"] = page.locator("#panel-residents").inner_text()
    # the Diagnostic: the ranking and a QPV's card
    page.locator("#tab-diag").click()
    page.locator("#diag-table tbody tr").first.wait_for()
    seen["diagnostic"] = page.locator("#panel-diag").inner_text()
    page.locator("#diag-table").get_by_role("button", name="Grand Mirail").click()
    page.locator("#detail").wait_for()
    seen["diagnostic card"] = page.locator("#detail").inner_text()

    # two references are kept on purpose: a QPV's own card gives its official code under
    # « Code du QPV » (planners cite it), and a proposal's provenance (« Source ») names the
    # proposal it came from, for the history
    seen["diagnostic card"] = seen["diagnostic card"].replace("Code du QPV\nQN03107M", "")
    seen["review need"] = re.sub(r"Source\s*\(modifié\)[^\n]*", "", seen["review need"])
    assert "Toulouse" in seen["diagnostic card"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "words-screens.txt").write_text(
        "\n\n".join(f"== {screen}\n{text}" for screen, text in seen.items()), "utf-8")
    found = {screen: raw(text, codes) for screen, text in seen.items()}
    assert {screen: codes for screen, codes in found.items() if codes} == {}, found
    assert [e for e in rec.errors if "status of 4" not in e] == []


def test_resident_form_shows_every_problem_and_clears_each_once_fixed(site, open_page):
    rec = open_page(site.url + "/", **PHONE)
    page = rec.page
    page.wait_for_selector("body[data-propose=ready]", state="attached")
    page.locator("#propose-place").click()
    form = page.locator("#contrib-form")
    form.locator("select").first.wait_for()
    # sent empty: name, Défi and point, all at once, beside their fields and in the summary
    page.locator("#contrib-send").click()
    problems = page.locator("#contrib-problems li")
    problems.first.wait_for()
    assert problems.count() == 3, page.locator("#contrib-problems").inner_text()
    summary = page.locator("#contrib-problems").inner_text()
    assert "Le nom est obligatoire" in summary and "Je ne sais pas" in summary
    assert page.evaluate("document.activeElement.id") == "contrib-errors"
    name = form.get_by_label("Nom du lieu")
    assert name.get_attribute("aria-invalid") == "true"
    assert page.locator("#pr-geometry-err").inner_text()
    assert _violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resident-form-errors-375.png"), full_page=True)
    # each goes once fixed, the others stay
    name.fill("Lieu de test (données synthétiques)")
    assert problems.count() == 2 and name.get_attribute("aria-invalid") is None
    form.get_by_label("Je ne sais pas").check()
    assert problems.count() == 1
    form.get_by_label("Chercher l'adresse").fill("place du capitole")
    form.get_by_role("button", name="Chercher", exact=True).click()
    form.get_by_role("button", name="Place du Capitole 31000 Toulouse").click()
    assert problems.count() == 0 and page.locator("#contrib-errors").inner_text() == ""
    # a server's field error (here: the description too long for the service) shows the same way
    page.evaluate("""() => { const area = document.querySelectorAll('#contrib-form textarea')[0];
                             area.removeAttribute('maxlength'); area.value = 'x'.repeat(20000);
                             area.dispatchEvent(new Event('input')); }""")
    page.locator("#contrib-send").click()
    page.locator("#contrib-errors").get_by_text("La proposition n'a pas été envoyée").wait_for()
    assert page.locator("#contrib-problems li").count() >= 1
    assert _violations(page) == []


def test_my_contributions_list_the_links_kept_on_the_device(site, open_page):
    rec = open_page(site.url + "/", **PHONE)
    page = rec.page
    page.wait_for_selector("body[data-propose=ready]", state="attached")
    assert page.locator("#my-contributions").count() == 0  # nothing sent from here yet
    page.locator("#propose-need").click()
    form = page.locator("#contrib-form")
    form.get_by_label("Le besoin en quelques mots").fill("Besoin de test (données synthétiques)")
    form.get_by_label("Alimentation durable").check()
    form.get_by_label("Décrivez le besoin").fill("texte de test")
    form.get_by_label("Chercher l'adresse").fill("bellefontaine")
    form.get_by_role("button", name="Chercher", exact=True).click()
    form.get_by_role("button", name="Station Bellefontaine 31100 Toulouse").click()
    page.locator("#contrib-send").click()
    page.locator("#contrib-follow").wait_for()
    pid = page.locator("#contrib-follow").get_attribute("href").split("suivi=")[1].split(".")[0]
    # a moderator rejects it meanwhile
    done = site.client("moderator").post(f"/api/proposals/{pid}/reject",
                                         json={"message": "déjà connu (test)"})
    assert done.status_code == 200, done.text
    page.reload()
    page.wait_for_selector("body[data-propose=ready]", state="attached")
    page.locator("#my-contributions").click()
    mine = page.locator("#mine-list")
    mine.wait_for()
    item = mine.locator(f"li[data-proposal='{pid}']")
    assert "Besoin de test" in item.inner_text() and "Refusée" in item.inner_text()
    assert page.evaluate("document.activeElement.id") == "contrib-heading"
    assert _violations(page) == []
    item.get_by_role("link", name="Suivre").click()
    page.locator("#follow-message").wait_for()
    assert "déjà connu" in page.locator("#follow-message").inner_text()


def test_staff_on_a_phone(site, open_page):
    rec = open_page(site.url + "/#map=13/43.5663/1.4025", width=360, height=740,
                    is_mobile=True, has_touch=True)
    page = rec.page
    jump = page.locator("#staff-jump")
    box = jump.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740  # in the first screen
    staff_top = page.evaluate("document.getElementById('staff').getBoundingClientRect().top")
    jump.click()
    assert page.evaluate("document.activeElement.id") == "login-open"
    top = page.evaluate("document.getElementById('staff').getBoundingClientRect().top")
    assert staff_top > 740 and 0 <= top < 740, (staff_top, top)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "staff-phone.txt").write_text(
        f"360 px: « Espace équipe » box at {staff_top:.0f} px down the page; after the top "
        f"link: {top:.0f} px from the top of the screen, focus on #login-open\n", "utf-8")
    log_in(page)
    page.locator("#editor-layer").select_option("besoins")
    page.locator("#editor-add").click()
    page.locator("#ed-precision").wait_for()
    # a tap inside the Grand Mirail QPV: the point is placed, no card opens, focus stays
    page.evaluate("window.scrollTo(0, 0)")
    map_box = page.locator("#map").bounding_box()
    page.mouse.click(map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2)
    page.locator("#ed-chosen").get_by_text("Point placé sur la carte").wait_for()
    assert page.locator("#detail").is_hidden()
    assert page.evaluate("document.activeElement.id") == "ed-chosen"
    assert page.locator("#ed-precision").input_value() == "quartier"  # placed at zoom 13
    assert "au quartier" in page.locator("#ed-chosen").inner_text()
    assert _violations(page) == []
