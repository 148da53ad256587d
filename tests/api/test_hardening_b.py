"""Issue 30, hostile review: CQL2 ``LIKE`` without catastrophic backtracking (a pattern of
many wildcards answered at once, on both stores), and the moderation queue paged."""

from __future__ import annotations

import random

import pytest

ITEMS = "/api/collections/{}/items"
HOSTILE = "%_" * 15 + "%#"  # took 35 s through the old regular expression (.*.*.*…)


def _reference(pattern: str, text: str) -> bool:
    """An independent LIKE: dynamic programming over (pattern token, text position)."""
    tokens, escaped = [], False
    for char in pattern:
        if escaped:
            tokens.append(("c", char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            tokens.append(("%", None) if char == "%" else ("_", None) if char == "_"
                          else ("c", char))
    can = [True] + [False] * len(text)  # can[i]: the tokens so far match text[:i]
    for kind, char in tokens:
        nxt = [False] * (len(text) + 1)
        for i in range(len(text) + 1):
            if kind == "%":
                nxt[i] = can[i] or (i > 0 and nxt[i - 1])
            elif i > 0 and can[i - 1]:
                nxt[i] = kind == "_" or text[i - 1] == char
        can = nxt
    return can[len(text)]


def test_like_matcher_agrees_with_an_independent_computation():
    from geoservice.read.cql2 import LikePattern

    rnd = random.Random(30)
    for _ in range(20_000):
        pattern = "".join(rnd.choice("ab%_\\") for _ in range(rnd.randint(0, 8)))
        text = "".join(rnd.choice("ab%_\\\n") for _ in range(rnd.randint(0, 9)))
        assert LikePattern(pattern).match(text) == _reference(pattern, text), (pattern, text)


@pytest.mark.parametrize(("pattern", "text"), [
    (HOSTILE, "Grand Mirail, quartier prioritaire de Toulouse " * 4),
    (HOSTILE, "Grand Mirail, quartier prioritaire de Toulouse " * 4 + "#"),
    ("%a_a_a_a_b%", "a" * 400),
    ("%aaaaaaab%", "a" * 400),
    ("%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_b", "a" * 400),
])
def test_like_matcher_steps_stay_within_text_times_pattern(pattern, text):
    """Counted comparisons: at most len(text) × len(pattern), and linear in the text for a
    given pattern (ten times the text, at most about ten times the steps). The regular
    expression it replaces needed about len(text)^15 steps on HOSTILE."""
    from geoservice.read.cql2 import LikePattern

    counts = []
    for repeat in (1, 10):
        like = LikePattern(pattern)
        long_text = text[:-1] * repeat + text[-1]
        assert like.match(long_text) == _reference(pattern, long_text)
        assert like.steps <= (len(long_text) + 1) * (len(pattern) + 1)
        counts.append(like.steps)
    assert counts[1] <= 11 * counts[0] + len(pattern)


@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_hostile_like_answers_on_both_stores(request, toulouse_store, store):
    client = request.getfixturevalue("client" if store == "sqlite" else "postgis_client")
    names = toulouse_store.collection("qpv").frame["lib_qp"].tolist()
    pattern = "%_" * 8 + "%s"  # matches: 9 characters or more, ending in s
    expected = sorted(n for n in names if len(n) >= 9 and n.endswith("s"))
    for flt, want in ((f"lib_qp LIKE '{HOSTILE}'", []),
                      (f"lib_qp LIKE '{pattern}'", expected),
                      (f"CASEI(lib_qp) LIKE CASEI('{pattern.upper()}')", expected)):
        response = client.get(ITEMS.format("qpv"), params={"filter": flt, "limit": "10000"})
        assert response.status_code == 200, response.text
        got = sorted(f["properties"]["lib_qp"] for f in response.json()["features"])
        assert got == want, flt
    assert expected



@pytest.mark.parametrize("store", ["sqlite", "postgis"])
def test_like_escapes_alike_on_both_stores(request, store):
    """An escaped character is itself; a pattern ending with a lone escape was a 500 on
    PostGIS (PostgreSQL refuses it) and silently ignored on the snapshot: 400 on both."""
    client = request.getfixturevalue("client" if store == "sqlite" else "postgis_client")
    for flt, names in (("lib_qp LIKE 'Empalo\\t'", ["Empalot"]),
                       ("lib_qp LIKE 'Empalo\\_'", []),
                       ("CASEI(lib_qp) LIKE CASEI('EMPALO\\T')", ["Empalot"])):
        response = client.get(ITEMS.format("qpv"), params={"filter": flt})
        assert response.status_code == 200, response.text
        assert [f["properties"]["lib_qp"] for f in response.json()["features"]] == names
    for flt in ("lib_qp LIKE 'Emp\\'", "lib_qp LIKE 'Empalot\\'",
                "CASEI(lib_qp) LIKE CASEI('Emp\\')"):
        response = client.get(ITEMS.format("qpv"), params={"filter": flt})
        assert response.status_code == 400, (flt, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "échappement" in response.json()["detail"]

# -- the moderation queue, paged ------------------------------------------------------------

QUEUED = 523  # more than the 500 the queue used to stop at


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def crowded(request, mirror, tmp_path_factory):
    """A server whose queue holds QUEUED pending proposals and 3 rejected ones, put in
    through the storage (the HTTP route's rate limit would take hours)."""
    from geoservice.editing.entities import Proposal
    from geoservice.settings import Settings
    from geoservice.storage import open_store
    from tests.editing_site import Site

    url = None
    if request.param == "postgis":
        url = request.getfixturevalue("postgres").create_database("queue_paged")
    site = Site(tmp_path_factory.mktemp(f"queue-{request.param}"), mirror, url)
    storage = open_store(Settings(data_dir=site.work, database_url=url))
    try:
        for i in range(QUEUED + 3):
            status = "pending" if i < QUEUED else "rejected"
            storage.proposals.add_proposal(Proposal(
                f"p-{i:010x}", "report", "lieux", None,
                f"2026-11-{1 + i % 28:02d}T00:00:{i % 60:02d}.{i:03d}+00:00",
                target="x", problem="autre", status=status), f"hash-{i}", "client:test")
    finally:
        storage.close()
    yield site
    site.stop()


def _walk(client, first: str) -> tuple[list[str], list[dict]]:
    ids, pages, href = [], [], first
    while href:
        answer = client.get(href)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        ids += [p["id"] for p in page["proposals"]]
        href = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None)
    return ids, pages


def test_the_queue_is_paged_with_a_total_and_links(crowded):
    moderator = crowded.client("moderator")
    first = moderator.get("/api/proposals?status=pending").json()
    assert (first["numberMatched"], first["numberReturned"]) == (QUEUED, 100)
    assert len(first["proposals"]) == 100
    assert {"id", "status", "created_at", "href", "contact"} <= set(first["proposals"][0])
    assert not any(lk["rel"] == "prev" for lk in first["links"])
    ids, pages = _walk(moderator, "/api/proposals?status=pending&limit=200")
    assert [p["numberReturned"] for p in pages] == [200, 200, QUEUED - 400]
    assert all(p["numberMatched"] == QUEUED for p in pages)
    assert len(ids) == len(set(ids)) == QUEUED  # every one, once, oldest first
    created = [p["created_at"] for page in pages for p in page["proposals"]]
    assert created == sorted(created)
    assert ids[:100] == [p["id"] for p in first["proposals"]]
    # the last page goes back, keeping the filters
    prev = next(lk["href"] for lk in pages[-1]["links"] if lk["rel"] == "prev")
    assert "status=pending" in prev and "offset=200" in prev and "limit=200" in prev
    assert [p["id"] for p in moderator.get(prev).json()["proposals"]] == ids[200:400]
    # a larger limit is brought down to 500; other statuses and filters are counted apart
    big = moderator.get("/api/proposals?status=pending&limit=100000").json()
    assert big["numberReturned"] == 500 and any(lk["rel"] == "next" for lk in big["links"])
    everything = moderator.get("/api/proposals?status=all&limit=1&offset=525").json()
    assert (everything["numberMatched"], everything["numberReturned"]) == (QUEUED + 3, 1)
    rejected = moderator.get("/api/proposals?status=rejected").json()
    assert (rejected["numberMatched"], rejected["numberReturned"]) == (3, 3)
    assert [lk["rel"] for lk in rejected["links"]] == ["self"]
    assert moderator.get("/api/proposals?collection=besoins").json()["numberMatched"] == 0
    for bad in ("limit=0", "offset=-1", "limit=x"):
        answer = moderator.get(f"/api/proposals?{bad}")
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)
    assert crowded.client().get("/api/proposals").status_code == 401
