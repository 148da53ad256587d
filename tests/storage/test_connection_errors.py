"""Why the service cannot reach its database, said in French (issue 29, item 9): a mistyped
URL before any attempt, then libpq's reason for a real failed connection."""

from __future__ import annotations

import pytest

from geoservice.errors import StoreUnavailable
from geoservice.storage.base import StorageError
from geoservice.storage.postgis import PostgisDatabase
from tests.servers import free_port


def _refused(url: str) -> str:
    with pytest.raises((StoreUnavailable, StorageError)) as caught:
        PostgisDatabase(url, timeout=1.0)
    return str(caught.value)


def test_a_mistyped_url_is_said_before_any_attempt():
    said = _refused("pgsql:/pas-une-adresse")
    assert "adresse de base illisible" in said and "postgresql://utilisateur" in said


@pytest.mark.parametrize(("database", "words"), [
    ("base_absente", "la base « base_absente » n'existe pas"),
])
def test_the_server_s_reason_in_words(postgres, database, words):
    said = _refused(postgres.url(database))
    assert words in said, said


def test_no_server_at_that_port():
    said = _refused(f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    assert "connexion refusée : aucun serveur PostgreSQL n'écoute" in said, said


def test_a_bad_option_value(postgres):
    said = _refused(postgres.url() + "?sslmode=nimporte")
    assert "valeur invalide pour l'option sslmode : « nimporte »" in said, said
    assert "invalid" not in said.replace("valeur invalide", "")
