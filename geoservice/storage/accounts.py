"""Accounts and API tokens, kept in the store so that every replica knows them (SQL shared
by both adapters). Only a token's hash is stored; the token itself is shown once."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from .base import Account, Token, now

Cursor = Any
_ACCOUNT = "email, role, created_at, password_hash, disabled"
_TOKEN = "t.id, t.email, t.created_at, t.expires_at, t.revoked_at"


def _account(row: tuple) -> Account:
    return Account(row[0], row[1], row[2], row[3], bool(row[4]))


class AccountsSql:
    P = "?"

    def _tx(self, write: bool = False) -> AbstractContextManager[Cursor]:
        raise NotImplementedError

    def put_account(self, account: Account) -> None:
        p = self.P
        with self._tx(write=True) as cur:
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
        with self._tx() as cur:
            cur.execute(f"SELECT {_ACCOUNT} FROM accounts WHERE email = {self.P}", (email,))
            row = cur.fetchone()
        return None if row is None else _account(row)

    def accounts(self) -> list[Account]:
        with self._tx() as cur:
            cur.execute(f"SELECT {_ACCOUNT} FROM accounts ORDER BY email")
            return [_account(r) for r in cur.fetchall()]

    def add_token(self, token: Token, secret_hash: str) -> None:
        p = self.P
        with self._tx(write=True) as cur:
            cur.execute(f"INSERT INTO tokens (id, email, secret_hash, created_at, expires_at, "
                        f"revoked_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                        (token.id, token.email, secret_hash, token.created_at,
                         token.expires_at, token.revoked_at))

    def token_by_hash(self, secret_hash: str) -> tuple[Token, Account] | None:
        with self._tx() as cur:
            cur.execute(f"SELECT {_TOKEN}, a.email, a.role, a.created_at, a.password_hash, "
                        "a.disabled FROM tokens t JOIN accounts a ON a.email = t.email "
                        f"WHERE t.secret_hash = {self.P}", (secret_hash,))
            row = cur.fetchone()
        if row is None:
            return None
        return Token(*row[:5]), _account(row[5:])

    def tokens(self, email: str | None = None) -> list[Token]:
        with self._tx() as cur:
            if email is None:
                cur.execute(f"SELECT {_TOKEN} FROM tokens t ORDER BY t.created_at")
            else:
                cur.execute(f"SELECT {_TOKEN} FROM tokens t WHERE t.email = {self.P} "
                            "ORDER BY t.created_at", (email,))
            return [Token(*r) for r in cur.fetchall()]

    def revoke_tokens(self, token_id: str | None = None, email: str | None = None) -> int:
        p = self.P
        column, value = ("id", token_id) if token_id is not None else ("email", email)
        with self._tx(write=True) as cur:
            cur.execute(f"UPDATE tokens SET revoked_at = {p} WHERE {column} = {p} "
                        "AND revoked_at IS NULL", (now(), value))
            return int(cur.rowcount or 0)
