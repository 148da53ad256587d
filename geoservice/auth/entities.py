"""Who writes, as stored: accounts, API tokens, browser sessions, and the caller of a
request. Plain data: storage adapters read and write these, nothing here knows storage."""

from __future__ import annotations

from dataclasses import dataclass

from .roles import Role


@dataclass(frozen=True)
class Account:
    email: str
    role: Role
    created_at: str
    password_hash: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class Token:
    """An API token as stored: its public id and owner, never the token itself."""

    id: str
    email: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Session:
    """A browser login session as stored (its cookie value is never stored, only a hash)."""

    email: str
    csrf: str
    via: str  # password | oidc
    created_at: str
    expires_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who makes a request: an account's e-mail and role, and how it proved it."""

    email: str
    role: Role
    via: str = "token"  # token | session
    csrf: str | None = None  # a session's anti-CSRF token (sent back on writes)
