"""Browser sessions and the local password login.

A session cookie reads ``gss_<secret>`` (256 bits); the store keeps only its SHA-256, the
account, a CSRF token and the expiry, so every replica knows it and a logout ends it
everywhere. Writes made with a session must send the CSRF token (``X-CSRF-Token``), which
the page reads from ``GET /api/me``: a form posted from another site cannot know it.

Login attempts are counted in the store before the password is checked, per account and
per client (the client's network, kept only as a salted hash in short-lived counters):
beyond ``login_max_failures`` unsuccessful ones in the window (4× that for one client),
429 and the wait, even with the right password; a success forgets the account's.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from ..errors import TooManyRequests, Unauthorized
from ..ratelimit import client_network, take
from ..settings import Settings
from ..storage import AccountStore, Storage
from ..storage.base import now, stamp
from .accounts import digest, normalise_email
from .entities import Account, Caller, Session
from .passwords import verify_password

COOKIE = "geoservice_session"
_COOKIE = re.compile(r"^gss_[A-Za-z0-9_-]{43}$")
CLIENT_FACTOR = 4  # a client (one address) may fail this many times more than one account


def open_session(accounts: AccountStore, account: Account, via: str, hours: float
                 ) -> tuple[str, Session]:
    """A new session for an account: (the cookie value, shown once; its record)."""
    cookie = "gss_" + secrets.token_urlsafe(32)
    created = datetime.now(UTC)
    session = Session(account.email, secrets.token_urlsafe(32), via, stamp(created),
                      stamp(created + timedelta(hours=hours)))
    accounts.add_session(session, digest(cookie))
    return cookie, session


def session_caller(accounts: AccountStore, cookie: str) -> Caller | None:
    """The caller a session cookie stands for; None when it is malformed, unknown, revoked
    or expired, or its account disabled (the browser is then simply not logged in)."""
    if not _COOKIE.fullmatch(cookie):
        return None
    found = accounts.session_by_hash(digest(cookie))
    if found is None:
        return None
    session, account = found
    if session.revoked_at is not None or session.expires_at <= now() or account.disabled:
        return None
    return Caller(account.email, account.role, "session", csrf=session.csrf)


def csrf_matches(caller: Caller, sent: str | None) -> bool:
    return bool(sent) and caller.csrf is not None and hmac.compare_digest(caller.csrf, sent)


def close_session(accounts: AccountStore, cookie: str) -> bool:
    return bool(_COOKIE.fullmatch(cookie)) and accounts.revoke_sessions(digest(cookie)) > 0


# -- password login with an attempt limit ---------------------------------------------------

def client_key(address: str | None, salt: str) -> str:
    """How a client is counted: a salted hash of its network (an IPv4 address, an IPv6
    /64), never the address itself; it lives only as long as the counters that use it."""
    return "client:" + digest(f"{salt}:{client_network(address)}")[:32]


def password_login(storage: Storage, settings: Settings, email: str, password: str,
                   client: str) -> Account:
    """The account whose e-mail and password these are, or :class:`Unauthorized` (one
    message whatever was wrong) / :class:`TooManyRequests` (too many attempts).

    The attempt is counted *before* the password is checked, atomically with the count
    (:func:`~geoservice.ratelimit.take`): simultaneous attempts never check more passwords
    than the limit. A success forgets the account's attempts and gives the client's back."""
    email = normalise_email(email)
    account_key = "compte:" + email
    limit = settings.login_max_failures
    window = timedelta(minutes=settings.login_window_minutes)
    refused = take(storage.rates, {account_key: limit, client: limit * CLIENT_FACTOR}, window)
    if refused is not None:
        wait = refused[1]
        raise TooManyRequests(
            f"Trop d'essais de connexion : réessayez dans {(wait + 59) // 60} min",
            retry_after=wait)
    account = storage.accounts.account(email)
    good = verify_password(account.password_hash if account else None, password)
    if not good or account is None or account.disabled:
        raise Unauthorized("Adresse ou mot de passe incorrect")
    storage.rates.forget(account_key)
    storage.rates.forget(client, last_only=True)
    return account
