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
