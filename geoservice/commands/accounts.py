"""``geoservice users …`` and ``geoservice tokens …``: accounts and API tokens, kept in the
store (every replica knows them). A new token is printed once, alone on standard output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from ..auth.roles import said
from ..storage import AccountStore, open_store
from .common import make_settings, one_line_errors

users_app = typer.Typer(help="Comptes : éditeurs, modérateurs, administrateurs.",
                        no_args_is_help=True)
tokens_app = typer.Typer(help="Jetons d'API (Authorization: Bearer …).", no_args_is_help=True)
Territoire = Annotated[str | None, typer.Option(help="Territoire servi")]


@contextmanager
def _accounts(territoire: str | None) -> Iterator[AccountStore]:
    storage = open_store(make_settings(territoire=territoire))
    try:
        storage.features.revisions()  # an empty store says which command fills it
        storage.upgrade()  # accounts arrived with schema 2: an older store is brought up
        yield storage.accounts
    finally:
        storage.close()


@users_app.command("add")
@one_line_errors
def users_add(
    email: str,
    role: Annotated[str, typer.Option(help=said())],
    password: Annotated[bool, typer.Option(
        "--password", help="Demander un mot de passe (connexion locale, sans OpenID Connect)"
    )] = False,
    territoire: Territoire = None,
) -> None:
    """Crée un compte (ou change son rôle)."""
    from ..auth.accounts import add_user

    hashed = None
    if password:
        from ..auth.passwords import hash_password

        hashed = hash_password(typer.prompt("Mot de passe", hide_input=True,
                                            confirmation_prompt=True, err=True))
    with _accounts(territoire) as accounts:
        account = add_user(accounts, email, role, hashed)
    typer.echo(f"compte {account.email} : rôle {account.role}", err=True)


@users_app.command("list")
@one_line_errors
def users_list(territoire: Territoire = None) -> None:
    """Liste les comptes et leur rôle."""
    with _accounts(territoire) as accounts:
        for account in accounts.accounts():
            state = " (désactivé)" if account.disabled else ""
            password = " mot de passe" if account.password_hash else ""
            typer.echo(f"{account.email}\t{account.role}{password}{state}")


@tokens_app.command("create")
@one_line_errors
def tokens_create(
    email: str,
    expires: Annotated[int | None, typer.Option(
        help="Durée de validité en jours (sans : jusqu'à révocation)")] = None,
    territoire: Territoire = None,
) -> None:
    """Crée un jeton d'API pour un compte et l'affiche une seule fois."""
    from ..auth.accounts import create_token

    with _accounts(territoire) as accounts:
        token, record = create_token(accounts, email, expires)
    until = f"jusqu'au {record.expires_at[:10]}" if record.expires_at else "sans expiration"
    typer.echo(f"jeton {record.id} pour {record.email}, {until} ; il ne sera plus affiché",
               err=True)
    typer.echo(token)


@tokens_app.command("list")
@one_line_errors
def tokens_list(email: Annotated[str | None, typer.Argument()] = None,
                territoire: Territoire = None) -> None:
    """Liste les jetons (identifiant public, compte, dates), jamais leur secret."""
    with _accounts(territoire) as accounts:
        for token in accounts.tokens(email.strip().lower() if email else None):
            state = ("révoqué " + token.revoked_at[:10]) if token.revoked_at else (
                ("expire " + token.expires_at[:10]) if token.expires_at else "actif")
            typer.echo(f"{token.id}\t{token.email}\tcréé {token.created_at[:10]}\t{state}")


@tokens_app.command("revoke")
@one_line_errors
def tokens_revoke(
    token_id: Annotated[str | None, typer.Argument(help="Identifiant du jeton")] = None,
    all_of: Annotated[str | None, typer.Option(
        "--all", help="Révoquer tous les jetons de ce compte")] = None,
    territoire: Territoire = None,
) -> None:
    """Révoque un jeton (par son identifiant) ou tous ceux d'un compte (--all EMAIL)."""
    from ..errors import InvalidParameter, NotFound

    if (token_id is None) == (all_of is None):
        raise InvalidParameter("donnez un identifiant de jeton, ou --all EMAIL")
    if token_id is not None and token_id.startswith("gst_"):
        token_id = token_id[4:16]  # the whole token was pasted: its id is inside
    with _accounts(territoire) as accounts:
        count = accounts.revoke_tokens(token_id=token_id,
                                       email=all_of.strip().lower() if all_of else None)
    if count == 0:
        raise NotFound("aucun jeton actif ne correspond")
    typer.echo(f"{count} jeton(s) révoqué(s)", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
