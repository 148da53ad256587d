"""Who is calling, and how people log in, as one service built once per process: API
tokens, session cookies, the local password login with its failure limit, OpenID Connect,
and the salted key a client (an address) is counted by. Free of FastAPI: the API gives it
the token, the cookie or the address it read."""

from __future__ import annotations

from ..errors import NotFound
from ..settings import Settings
from ..storage import Storage
from .accounts import authenticate_token
from .entities import Account, Caller, Session
from .oidc import OidcProvider
from .sessions import client_key, close_session, open_session, password_login, session_caller

SALT = "client-salt"


class Accounts:
    def __init__(self, storage: Storage, settings: Settings) -> None:
        self.storage = storage
        self.settings = settings
        self._salt: str | None = None
        self.provider = OidcProvider(settings) if settings.oidc_enabled else None
        """The OpenID Connect provider (its documents and keys fetched on first use)."""

    # -- callers ---------------------------------------------------------------------------

    def token_caller(self, token: str) -> Caller:
        """The caller a bearer token stands for (401 when unknown, revoked, expired…)."""
        return authenticate_token(self.storage.accounts, token)

    def session_caller(self, cookie: str) -> Caller | None:
        """The caller a session cookie stands for; None when it is not a live session."""
        return session_caller(self.storage.accounts, cookie)

    def client(self, address: str | None) -> str:
        """How a client is counted (rate limits): a salted hash of its address."""
        if self._salt is None:
            self._salt = self.storage.rates.secret(SALT)  # the same for every replica
        return client_key(address, self._salt)

    # -- sessions --------------------------------------------------------------------------

    def password_login(self, email: str, password: str, address: str | None
                       ) -> tuple[Account, str, Session]:
        """Check a password (429 after too many failures) and open a session: (the
        account, the session cookie, its record)."""
        account = password_login(self.storage, self.settings, email, password,
                                 self.client(address))
        cookie, session = self.open_session(account, "password")
        return account, cookie, session

    def open_session(self, account: Account, via: str) -> tuple[str, Session]:
        return open_session(self.storage.accounts, account, via, self.settings.session_hours)

    def logout(self, cookie: str) -> bool:
        """End a session (on every replica: it is revoked in the store)."""
        return close_session(self.storage.accounts, cookie)

    # -- OpenID Connect --------------------------------------------------------------------

    def oidc(self) -> OidcProvider:
        """The provider; 404 when OpenID Connect is not configured."""
        if self.provider is None:
            raise NotFound("Connexion OpenID Connect non configurée sur ce service")
        return self.provider

    def oidc_start(self, redirect_uri: str, next_path: str | None) -> str:
        """The provider's URL to send the browser to."""
        return self.oidc().start(self.storage.accounts, redirect_uri, next_path)

    def oidc_finish(self, code: str | None, state: str | None) -> tuple[str, str]:
        """Check the provider's answer and open a session: (the cookie, where to go next)."""
        account, next_path = self.oidc().finish(self.storage.accounts, code, state)
        cookie, _ = self.open_session(account, "oidc")
        return cookie, next_path
