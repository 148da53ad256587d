"""Browser logins on a real server (127.0.0.1), both stores: the local password login (argon2),
its failure limit, session cookies with CSRF on writes, logout everywhere, and OpenID Connect
(code + PKCE, state, nonce, signed ID token) against a stand-in provider on 127.0.0.1."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.api.test_editing import PLACE
from tests.editing_site import Site, site_on
from tests.oidc_provider import OidcProvider

PASSWORD = "un mot de passe assez long"


@pytest.fixture(scope="module")
def provider():
    with OidcProvider() as made:
        yield made


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, mirror, tmp_path_factory, provider):
    made = site_on(request, mirror, tmp_path_factory, "login",
                   GEOSERVICE_LOGIN_MAX_FAILURES="3", **provider.settings)
    made.set_password("editor@example.fr", PASSWORD)
    yield made
    made.stop()


def browser(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=30, follow_redirects=False,
                        headers={"Geoservice-Duplicate": "distinct"})


def login(client: httpx.Client, email: str = "editor@example.fr", password: str = PASSWORD
          ) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def test_methods_are_announced(site):
    methods = browser(site).get("/api/auth").json()
    assert methods == {"password": True,
                       "oidc": {"label": "ProConnect", "href": "/api/auth/oidc/login"}}


def test_password_session_csrf_and_logout(site):
    client = browser(site)
    assert client.get("/api/me").json()["authenticated"] is False
    done = login(client)
    assert done.status_code == 200, done.text
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "gss_" in cookie
    csrf = done.json()["csrf"]
    answer = client.get("/api/me")
    me = answer.json()
    assert answer.headers["cache-control"] == "no-store"
    assert me["email"] == "editor@example.fr" and me["via"] == "session" and me["csrf"] == csrf
    assert me["permissions"]["hebergement"] == ["create", "update"]

    # a write with the cookie alone (a form posted from another site) is refused
    refused = client.post("/api/collections/hebergement/items", json=PLACE)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    wrong = client.post("/api/collections/hebergement/items", json=PLACE,
                        headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    made = client.post("/api/collections/hebergement/items", json=PLACE,
                       headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    history = client.get(made.headers["Location"] + "/history").json()["versions"]
    assert history[0]["author"] == "editor@example.fr"

    assert client.post("/api/auth/logout").status_code == 403  # logout needs CSRF too
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    # the old cookie is dead on every replica: replaying it gives a resident's rights
    replay = httpx.Client(base_url=site.url, cookies={"geoservice_session":
                          cookie.split(";")[0].split("=", 1)[1]})
    assert replay.get("/api/me").json()["authenticated"] is False
    assert replay.post("/api/collections/hebergement/items", json=PLACE,
                       headers={"X-CSRF-Token": csrf}).status_code == 401


def test_failed_logins_are_limited(site):
    client = browser(site)
    site.set_password("moderator@example.fr", PASSWORD)
    for _ in range(3):
        bad = login(client, "moderator@example.fr", "pas le bon mot de passe")
        assert bad.status_code == 401 and bad.json()["detail"] == \
            "Adresse ou mot de passe incorrect"
    locked = login(client, "moderator@example.fr", PASSWORD)  # even the right one, now
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert locked.headers["content-type"].startswith("application/problem+json")
    # an unknown account answers like a wrong password (no account enumeration)
    assert login(client, "personne@example.fr", PASSWORD).json()["detail"] == \
        "Adresse ou mot de passe incorrect"
    assert login(client, "pas-une-adresse", PASSWORD).status_code == 400


def oidc(site: Site, next_path: str = "/?carte=1") -> tuple[httpx.Client, httpx.Response]:
    """Run the browser's part of the flow; return the client and the callback's answer."""
    client = browser(site)
    start = client.get("/api/auth/oidc/login", params={"next": next_path})
    assert start.status_code == 302, start.text
    authorize = urlparse(start.headers["location"])
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = httpx.get(start.headers["location"], follow_redirects=False)  # the provider
    assert back.status_code == 302
    callback = urlparse(back.headers["location"])
    return client, client.get(f"{callback.path}?{callback.query}")


def test_oidc_login(site, provider):
    provider.mode = "good"
    client, done = oidc(site)
    assert done.status_code == 303 and done.headers["location"] == "/?carte=1"
    me = client.get("/api/me").json()
    assert me["email"] == "editor@example.fr" and me["via"] == "session"
    form = provider.token_requests[-1]
    assert form["client_secret"] and len(form["code_verifier"]) >= 43  # PKCE + secret
    made = client.post("/api/collections/hebergement/items", json=PLACE,
                       headers={"X-CSRF-Token": me["csrf"]})
    assert made.status_code == 201


def test_oidc_email_from_signed_userinfo(site, provider):
    provider.mode = "no-email-in-token"  # as ProConnect does
    try:
        client, done = oidc(site)
    finally:
        provider.mode = "good"
    assert done.status_code == 303
    assert client.get("/api/me").json()["email"] == "editor@example.fr"


@pytest.mark.parametrize("mode, status, words", [
    ("bad-signature", 401, "Signature"),
    ("wrong-audience", 401, "aud"),
    ("wrong-nonce", 401, "nonce"),
])
def test_oidc_refuses_bad_id_tokens(site, provider, mode, status, words):
    provider.mode = mode
    try:
        client, done = oidc(site)
    finally:
        provider.mode = "good"
    assert done.status_code == status and words in done.json()["detail"], done.text
    assert "set-cookie" not in done.headers
    assert client.get("/api/me").json()["authenticated"] is False


def test_oidc_state_is_checked_and_single_use(site, provider):
    client = browser(site)
    start = client.get("/api/auth/oidc/login")
    back = urlparse(httpx.get(start.headers["location"], follow_redirects=False)
                    .headers["location"])
    query = parse_qs(back.query)
    code, state = query["code"][0], query["state"][0]
    forged = client.get(back.path, params={"code": code, "state": state[:-3] + "abc"})
    assert forged.status_code == 400 and "state" in forged.json()["detail"]
    assert client.get(back.path, params={"code": code}).status_code == 400
    assert client.get(back.path, params={"code": code, "state": state}).status_code == 303
    replay = client.get(back.path, params={"code": code, "state": state})
    assert replay.status_code == 400  # a state serves once
    denied = client.get(back.path, params={"error": "access_denied"})
    assert denied.status_code == 400 and "access_denied" in denied.json()["detail"]


def test_oidc_unknown_account_and_open_redirect(site, provider):
    provider.email = "inconnu@example.fr"
    try:
        _, done = oidc(site)
    finally:
        provider.email = "editor@example.fr"
    assert done.status_code == 403 and "Aucun compte" in done.json()["detail"]
    _, elsewhere = oidc(site, next_path="//evil.example/")
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"
