"""The accounts part (AccountStore): accounts, API tokens, browser sessions and pending
OpenID Connect logins, on both stores."""

from __future__ import annotations

import pytest

from geoservice.auth.entities import Account, Session


def test_accounts_and_tokens_are_stored_hashed_and_revocable(storage):
    from geoservice.auth.accounts import add_user, authenticate_token, create_token
    from geoservice.errors import Unauthorized

    accounts = storage.accounts
    add_user(accounts, "Anne@Example.fr", "editor")
    assert [(a.email, a.role) for a in accounts.accounts()] == [("anne@example.fr", "editor")]
    token, record = create_token(accounts, "anne@example.fr", 30)
    assert authenticate_token(accounts, token).role == "editor"
    assert token not in repr(accounts.tokens())  # only the hash is kept
    add_user(accounts, "anne@example.fr", "moderator")  # a role change applies at once
    assert authenticate_token(accounts, token).role == "moderator"
    assert accounts.revoke_tokens(token_id=record.id) == 1
    with pytest.raises(Unauthorized, match="révoqué"):
        authenticate_token(accounts, token)
    with pytest.raises(Unauthorized, match="inconnu"):
        authenticate_token(accounts, token[:-4] + "AAAA")


def test_sessions_are_found_by_hash_and_revoked_everywhere(storage):
    accounts = storage.accounts
    accounts.put_account(Account("m@x.fr", "moderator", "2026-01-01T00:00:00.000+00:00"))
    one = Session("m@x.fr", "csrf-1", "password", "2026-01-01T00:00:00.000+00:00",
                  "2999-01-01T00:00:00.000+00:00")
    accounts.add_session(one, "hash-1")
    accounts.add_session(Session("m@x.fr", "csrf-2", "oidc", one.created_at, one.expires_at),
                         "hash-2")
    session, account = accounts.session_by_hash("hash-1")
    assert (session.csrf, session.via, account.role) == ("csrf-1", "password", "moderator")
    assert accounts.session_by_hash("inconnu") is None
    assert accounts.revoke_sessions(id_hash="hash-1") == 1
    assert accounts.session_by_hash("hash-1")[0].revoked_at is not None
    assert accounts.revoke_sessions(email="m@x.fr") == 1  # the other one (once)


def test_a_pending_login_is_taken_once(storage):
    accounts = storage.accounts
    accounts.put_login_state("state-1", {"nonce": "n", "next": "/"},
                             "2999-01-01T00:00:00.000+00:00")
    accounts.put_login_state("state-old", {"nonce": "o"}, "2000-01-01T00:00:00.000+00:00")
    assert accounts.pop_login_state("state-1") == {"nonce": "n", "next": "/"}
    assert accounts.pop_login_state("state-1") is None  # single use
    assert accounts.pop_login_state("state-old") is None  # expired
