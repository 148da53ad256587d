"""A stand-in OpenID Connect provider on 127.0.0.1 (tests only), answering as the
specification says: discovery, authorization (it logs in ``email`` at once and redirects
back with a code), token (checks the client secret, redirect URI and PKCE verifier),
JWKS, UserInfo. ``mode`` makes it misbehave the way a hostile or broken provider would:

* ``bad-signature``: the ID token is signed with a key that is not in the JWKS;
* ``wrong-audience``: the ID token is made for another client;
* ``wrong-nonce``: the ID token carries another nonce;
* ``no-email-in-token``: the e-mail is given only by UserInfo, as a signed JWT (ProConnect).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "geoservice-test"
CLIENT_SECRET = "secret-du-client-de-test"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OidcProvider:
    def __init__(self, email: str = "editor@example.fr") -> None:
        self.email = email
        self.mode = "good"
        self.key, self.other_key = _key(), _key()
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []

    # -- documents ------------------------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "userinfo_endpoint": f"{self.url}/userinfo", "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    def _sign(self, claims: dict) -> str:
        key = self.other_key if self.mode == "bad-signature" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    def id_token(self, grant: dict) -> str:
        issued = int(time.time())
        claims = {"iss": self.url, "sub": "agent-42", "iat": issued, "exp": issued + 300,
                  "aud": "un-autre-service" if self.mode == "wrong-audience" else CLIENT_ID,
                  "nonce": "autre" if self.mode == "wrong-nonce" else grant["nonce"]}
        if self.mode != "no-email-in-token":
            claims["email"] = self.email
        return self._sign(claims)

    # -- the server -----------------------------------------------------------------------

    def __enter__(self) -> OidcProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", media: str = "application/json",
                      location: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, value: dict, status: int = 200) -> None:
                self._send(status, json.dumps(value).encode())

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json(provider.jwks())
                elif url.path == "/authorize":
                    if query.get("client_id") != CLIENT_ID or \
                            query.get("code_challenge_method") != "S256":
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = urlencode({"code": code, "state": query["state"]})
                    self._send(302, location=f"{query['redirect_uri']}?{back}")
                elif url.path == "/userinfo":
                    if self.headers.get("Authorization") != "Bearer jeton-d-acces":
                        self._json({"error": "invalid_token"}, 401)
                        return
                    claims = {"sub": "agent-42", "email": provider.email, "iss": provider.url,
                              "aud": CLIENT_ID, "iat": int(time.time()),
                              "exp": int(time.time()) + 300}
                    self._send(200, provider._sign(claims).encode(), "application/jwt")
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                if urlparse(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                grant = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if (grant is None or form.get("client_secret") != CLIENT_SECRET
                        or form.get("redirect_uri") != grant["redirect_uri"]
                        or challenge != grant["code_challenge"]):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json({"access_token": "jeton-d-acces", "token_type": "Bearer",
                            "expires_in": 300, "id_token": provider.id_token(grant)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def settings(self) -> dict[str, str]:
        """The service's environment for this provider."""
        return {"GEOSERVICE_OIDC_ISSUER": self.url, "GEOSERVICE_OIDC_CLIENT_ID": CLIENT_ID,
                "GEOSERVICE_OIDC_CLIENT_SECRET": CLIENT_SECRET}
