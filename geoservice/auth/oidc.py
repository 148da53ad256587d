"""OpenID Connect login (authorization code flow with PKCE), for ProConnect — the State's
login for public agents — or any standard provider.

``start`` makes a ``state`` (kept hashed in the store, single use, 10 minutes), a ``nonce``
and a PKCE verifier (S256) and returns the provider's authorization URL. ``finish`` takes
the callback's ``code`` and ``state``, exchanges the code (with the client secret and the
verifier), checks the ID token — signature against the provider's JWKS (asymmetric
algorithms only), issuer, audience, expiry, ``nonce`` — and returns the e-mail, read from
the ID token or, when absent (ProConnect), from the UserInfo endpoint (JSON or signed JWT).
Only e-mails with an account (``geoservice users add``) may log in: deny by default.

PyJWT (with ``cryptography``) checks the signatures; HTTP goes through httpx.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from ..errors import ConfigError, Forbidden, InvalidParameter, Unauthorized, UpstreamUnavailable
from ..settings import Settings
from ..storage import AccountStore
from ..storage.base import stamp
from .accounts import digest, normalise_email
from .entities import Account

STATE_MINUTES = 10
METADATA_SECONDS = 3600
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA")  # never "none" nor a shared-secret HS*


def _challenge(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def safe_next(path: str | None) -> str:
    """Where to send the browser after login: a path of this site only (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path[:500]


class OidcProvider:
    """One configured provider; its discovery document and keys are cached."""

    def __init__(self, settings: Settings) -> None:
        if not settings.oidc_enabled:
            raise ConfigError("OpenID Connect non configuré (GEOSERVICE_OIDC_ISSUER, "
                              "GEOSERVICE_OIDC_CLIENT_ID, GEOSERVICE_OIDC_CLIENT_SECRET)")
        self.issuer = str(settings.oidc_issuer).rstrip("/")
        self.client_id = str(settings.oidc_client_id)
        self.client_secret = settings.oidc_client_secret or ""
        self.scopes = settings.oidc_scopes
        self.timeout = min(settings.http_timeout, 15.0)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._fetched = 0.0
        self._keys: jwt.PyJWKSet | None = None

    # -- provider documents -----------------------------------------------------------------

    def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = httpx.get(url, timeout=self.timeout, **kwargs)
        except httpx.HTTPError as exc:
            name = type(exc).__name__
            raise UpstreamUnavailable(f"Fournisseur d'identité injoignable ({name})") from exc
        if response.status_code != 200:
            raise UpstreamUnavailable(f"Fournisseur d'identité : HTTP {response.status_code} "
                                      f"sur {url}")
        return response

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched > METADATA_SECONDS:
                url = f"{self.issuer}/.well-known/openid-configuration"
                document = self._get(url).json()
                if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                    raise UpstreamUnavailable("Fournisseur d'identité : « issuer » du document "
                                              "de découverte différent de la configuration")
                self._metadata, self._fetched, self._keys = document, time.monotonic(), None
            return self._metadata

    def _key_set(self, refresh: bool = False) -> jwt.PyJWKSet:
        meta = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                self._keys = jwt.PyJWKSet.from_dict(self._get(meta["jwks_uri"]).json())
            return self._keys

    def _signing_key(self, token: str) -> Any:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("Jeton d'identité illisible") from exc
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized(f"Algorithme de signature refusé : {header.get('alg')!s:.20}")
        kid = header.get("kid")
        for refresh in (False, True):  # the provider may have rotated its keys
            keys = self._key_set(refresh).keys
            found = [k for k in keys if kid is None or k.key_id == kid]
            if found:
                return found[0].key, header["alg"]
        raise Unauthorized("Jeton d'identité signé par une clé inconnue du fournisseur")

    def _verify(self, token: str, nonce: str | None) -> dict[str, Any]:
        key, algorithm = self._signing_key(token)
        try:
            claims = jwt.decode(token, key, algorithms=[algorithm], audience=self.client_id,
                                issuer=self.metadata()["issuer"], leeway=60,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("Jeton d'identité destiné à un autre service (aud)") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("Signature du jeton d'identité invalide") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"Jeton d'identité refusé ({exc})") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise Unauthorized("Jeton d'identité : « azp » différent du client")
        if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")),
                                                            nonce):
            raise Unauthorized("Jeton d'identité : « nonce » différent de la demande")
        return claims

    # -- the flow ---------------------------------------------------------------------------

    def start(self, accounts: AccountStore, redirect_uri: str, next_path: str | None) -> str:
        """The provider URL to send the browser to."""
        meta = self.metadata()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        expires = datetime.now(UTC) + timedelta(minutes=STATE_MINUTES)
        accounts.put_login_state(digest(state), {
            "nonce": nonce, "verifier": verifier, "next": safe_next(next_path),
            "redirect_uri": redirect_uri}, stamp(expires))
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": self.scopes, "state": state, "nonce": nonce,
            "code_challenge": _challenge(verifier), "code_challenge_method": "S256"})
        return f"{meta['authorization_endpoint']}?{query}"

    def _exchange(self, code: str, pending: dict[str, str]) -> dict[str, Any]:
        meta = self.metadata()
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending["redirect_uri"], "code_verifier": pending["verifier"],
                "client_id": self.client_id}
        methods = meta.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        auth = None
        if "client_secret_basic" in methods or "client_secret_post" not in methods:
            auth = (self.client_id, self.client_secret)
        else:
            data["client_secret"] = self.client_secret
        try:
            response = httpx.post(meta["token_endpoint"], data=data, auth=auth,
                                  timeout=self.timeout, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable("Fournisseur d'identité injoignable") from exc
        if response.status_code != 200:
            raise Unauthorized(f"Code d'autorisation refusé par le fournisseur "
                               f"(HTTP {response.status_code})")
        tokens = response.json()
        if not isinstance(tokens, dict) or "id_token" not in tokens:
            raise Unauthorized("Réponse du fournisseur sans jeton d'identité")
        return tokens

    def _userinfo(self, access_token: str) -> dict[str, Any]:
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint or not access_token:
            return {}
        response = self._get(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        if response.headers.get("content-type", "").startswith("application/jwt"):
            return self._verify(response.text.strip(), nonce=None)  # signed (ProConnect)
        body = response.json()
        return body if isinstance(body, dict) else {}

    def finish(self, accounts: AccountStore, code: str | None, state: str | None
               ) -> tuple[Account, str]:
        """Check the callback and return (the account that logged in, where to go next)."""
        if not state or not code:
            raise InvalidParameter("Retour du fournisseur sans « code » ni « state »")
        pending = accounts.pop_login_state(digest(state))
        if pending is None:
            raise InvalidParameter("« state » inconnu, expiré ou déjà utilisé : relancez la "
                                   "connexion")
        tokens = self._exchange(code, pending)
        claims = self._verify(tokens["id_token"], pending["nonce"])
        email = claims.get("email")
        if not email:
            info = self._userinfo(str(tokens.get("access_token", "")))
            if info.get("sub") not in (None, claims["sub"]):
                raise Unauthorized("UserInfo : « sub » différent du jeton d'identité")
            claims = {**info, **claims}
            email = info.get("email")
        if not email:
            raise Unauthorized("Le fournisseur n'a pas donné d'adresse électronique (portée "
                               "« email » ?)")
        if claims.get("email_verified") is False:
            raise Forbidden("Adresse électronique non vérifiée par le fournisseur")
        account = accounts.account(normalise_email(str(email)))
        if account is None or account.disabled:
            raise Forbidden(f"Aucun compte actif pour {str(email)[:120]} : un administrateur "
                            "doit le créer (geoservice users add ADRESSE --role editor)")
        return account, pending["next"]
