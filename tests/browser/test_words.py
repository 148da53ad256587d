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
    seen["review need"] = re.sub(r"Source \(modifié\)[^\n]*", "", seen["review need"])
    assert "Toulouse" in seen["diagnostic card"]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "words-screens.txt").write_text(
        "\n\n".join(f"== {screen}\n{text}" for screen, text in seen.items()), "utf-8")
    found = {screen: raw(text, codes) for screen, text in seen.items()}
    assert {screen: codes for screen, codes in found.items() if codes} == {}, found
    assert [e for e in rec.errors if "status of 4" not in e] == []
