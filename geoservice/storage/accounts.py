"""The accounts part (:class:`~.base.AccountStore`): accounts, API tokens, browser
sessions and pending OpenID Connect logins, kept in the store so that every replica knows
them (SQL shared by both adapters). Only hashes of tokens, session cookies and login states
are stored. Failed-login counts and salts are rate events (:mod:`.rates`)."""

from __future__ import annotations

import json

from ..auth.entities import Account, Session, Token
from .base import now
from .database import SqlDatabase

_ACCOUNT = "email, role, created_at, password_hash, disabled"
_TOKEN = "t.id, t.email, t.created_at, t.expires_at, t.revoked_at"
_SESSION = "s.email, s.csrf, s.via, s.created_at, s.expires_at, s.revoked_at"
_ACCOUNT_OF = "a.email, a.role, a.created_at, a.password_hash, a.disabled"

SESSION_TABLES = [
    "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES "
    "accounts(email), csrf TEXT NOT NULL, via TEXT NOT NULL, created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE INDEX sessions_email ON sessions (email)",
    "CREATE TABLE login_states (state_hash TEXT PRIMARY KEY, payload TEXT NOT NULL, "
    "expires_at TEXT NOT NULL)",
    "CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE INDEX login_failures_key ON login_failures (key, at)",
    "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]
"""Migration 3 (same SQL in both dialects)."""


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], row[3], bool(row[4]))


class SqlAccounts:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def put_account(self, account: Account) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"SELECT 1 FROM accounts WHERE email = {p}", (account.email,))
            if cur.fetchone() is None:
                cur.execute(f"INSERT INTO accounts ({_ACCOUNT}) VALUES ({p}, {p}, {p}, {p}, {p})",
                            (account.email, account.role, account.created_at,
                             account.password_hash, int(account.disabled)))
            else:
                cur.execute(f"UPDATE accounts SET role = {p}, password_hash = {p}, "
                            f"disabled = {p} WHERE email = {p}",
                            (account.role, account.password_hash, int(account.disabled),
                             account.email))

    def account(self, email: str) -> Account | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_ACCOUNT} FROM accounts WHERE email = {self.db.P}", (email,))
            row = cur.fetchone()
        return None if row is None else _account(row)

    def accounts(self) -> list[Account]:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_ACCOUNT} FROM accounts ORDER BY email")
            return [_account(r) for r in cur.fetchall()]

    def add_token(self, token: Token, secret_hash: str) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"INSERT INTO tokens (id, email, secret_hash, created_at, expires_at, "
                        f"revoked_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                        (token.id, token.email, secret_hash, token.created_at,
                         token.expires_at, token.revoked_at))

    def token_by_hash(self, secret_hash: str) -> tuple[Token, Account] | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_TOKEN}, a.email, a.role, a.created_at, a.password_hash, "
                        "a.disabled FROM tokens t JOIN accounts a ON a.email = t.email "
                        f"WHERE t.secret_hash = {self.db.P}", (secret_hash,))
            row = cur.fetchone()
        if row is None:
            return None
        return Token(*row[:5]), _account(row[5:])

    # -- browser sessions ------------------------------------------------------------------

    def add_session(self, session: Session, id_hash: str) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute("DELETE FROM sessions WHERE expires_at < " + p, (now(),))
            cur.execute(f"INSERT INTO sessions (id_hash, email, csrf, via, created_at, "
                        f"expires_at, revoked_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})",
                        (id_hash, session.email, session.csrf, session.via,
                         session.created_at, session.expires_at, session.revoked_at))

    def session_by_hash(self, id_hash: str) -> tuple[Session, Account] | None:
        with self.db.tx() as cur:
            cur.execute(f"SELECT {_SESSION}, {_ACCOUNT_OF} FROM sessions s JOIN accounts a "
                        f"ON a.email = s.email WHERE s.id_hash = {self.db.P}", (id_hash,))
            row = cur.fetchone()
        return None if row is None else (Session(*row[:6]), _account(row[6:]))

    def revoke_sessions(self, id_hash: str | None = None, email: str | None = None) -> int:
        p = self.db.P
        column, value = ("id_hash", id_hash) if id_hash is not None else ("email", email)
        with self.db.tx(write=True) as cur:
            cur.execute(f"UPDATE sessions SET revoked_at = {p} WHERE {column} = {p} "
                        "AND revoked_at IS NULL", (now(), value))
            return int(cur.rowcount or 0)

    # -- pending OpenID Connect logins (single use) -----------------------------------------

    def put_login_state(self, state_hash: str, payload: dict[str, str],
                        expires_at: str) -> None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"DELETE FROM login_states WHERE expires_at < {p}", (now(),))
            cur.execute(f"INSERT INTO login_states (state_hash, payload, expires_at) "
                        f"VALUES ({p}, {p}, {p})", (state_hash, json.dumps(payload), expires_at))

    def pop_login_state(self, state_hash: str) -> dict[str, str] | None:
        p = self.db.P
        with self.db.tx(write=True) as cur:
            cur.execute(f"SELECT payload, expires_at FROM login_states WHERE state_hash = {p}",
                        (state_hash,))
            row = cur.fetchone()
            if row is None:
                return None
            cur.execute(f"DELETE FROM login_states WHERE state_hash = {p}", (state_hash,))
            if cur.rowcount != 1:  # taken by a concurrent callback
                return None
        return json.loads(row[0]) if row[1] > now() else None

    def tokens(self, email: str | None = None) -> list[Token]:
        with self.db.tx() as cur:
            if email is None:
                cur.execute(f"SELECT {_TOKEN} FROM tokens t ORDER BY t.created_at")
            else:
                cur.execute(f"SELECT {_TOKEN} FROM tokens t WHERE t.email = {self.db.P} "
                            "ORDER BY t.created_at", (email,))
            return [Token(*r) for r in cur.fetchall()]

    def revoke_tokens(self, token_id: str | None = None, email: str | None = None) -> int:
        p = self.db.P
        column, value = ("id", token_id) if token_id is not None else ("email", email)
        with self.db.tx(write=True) as cur:
            cur.execute(f"UPDATE tokens SET revoked_at = {p} WHERE {column} = {p} "
                        "AND revoked_at IS NULL", (now(), value))
            return int(cur.rowcount or 0)
