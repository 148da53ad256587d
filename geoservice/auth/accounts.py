"""Accounts and API tokens.

A token reads ``gst_<id>_<secret>``: the id is public (lists, revocation), the secret has
256 bits of entropy and only its SHA-256 is stored (a slow hash adds nothing to a random
secret of that size; passwords, chosen by people, use argon2: :mod:`.passwords`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import cast

from ..errors import InvalidParameter, NotFound, Unauthorized
from ..storage import AccountStore
from ..storage.base import now, stamp
from .entities import Account, Caller, Token
from .roles import ROLES, Role

PREFIX = "gst_"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
_TOKEN = re.compile(r"^gst_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
MAX_TOKEN_DAYS = 3650


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise InvalidParameter(f"adresse électronique invalide : « {email[:80]} »")
    return email


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidParameter(f"rôle inconnu : « {role[:40]} » (rôles : {', '.join(ROLES)})")
    return cast(Role, role)


def add_user(accounts: AccountStore, email: str, role: str,
             password_hash: str | None = None) -> Account:
    """Create an account, or change the role of an existing one (its password is kept
    unless a new one is given)."""
    email, checked = normalise_email(email), check_role(role)
    existing = accounts.account(email)
    account = Account(email, checked, existing.created_at if existing else now(),
                      password_hash or (existing.password_hash if existing else None),
                      False)
    accounts.put_account(account)
    return account


def digest(secret: str) -> str:
    """SHA-256 (hex) of a random secret: tokens, session cookies, login states."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(accounts: AccountStore, email: str, expires_days: int | None = None
                 ) -> tuple[str, Token]:
    """A new API token for an account: (the token, shown once; its stored record)."""
    email = normalise_email(email)
    if accounts.account(email) is None:
        raise NotFound(f"aucun compte {email} : créez-le avec "
                       f"« geoservice users add {email} --role editor »")
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise InvalidParameter(f"--expires : entre 1 et {MAX_TOKEN_DAYS} jours")
    token_id = secrets.token_hex(6)
    token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    created = datetime.now(UTC)
    expires = None if expires_days is None else created + timedelta(days=expires_days)
    record = Token(token_id, email, stamp(created),
                   None if expires is None else stamp(expires), None)
    accounts.add_token(record, digest(token))
    return token, record


def authenticate_token(accounts: AccountStore, token: str) -> Caller:
    """The caller a bearer token stands for, or :class:`Unauthorized` (unknown, malformed,
    revoked or expired token; disabled account)."""
    if not _TOKEN.fullmatch(token):
        raise Unauthorized("jeton invalide", bearer=True)
    found = accounts.token_by_hash(digest(token))
    if found is None:  # looked up by the SHA-256 of the whole token
        raise Unauthorized("jeton inconnu", bearer=True)
    record, account = found
    if record.revoked_at is not None:
        raise Unauthorized("jeton révoqué", bearer=True)
    if record.expires_at is not None and record.expires_at <= now():
        raise Unauthorized("jeton expiré", bearer=True)
    if account.disabled:
        raise Unauthorized("compte désactivé", bearer=True)
    return Caller(account.email, account.role, "token")
