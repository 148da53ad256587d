"""Why PostgreSQL refused a connection, in French: libpq's messages (English, several lines)
read for the usual causes — a server that does not run there, a wrong password, a database
that does not exist, a mistyped URL or option."""

from __future__ import annotations

import re

REASONS = [  # (libpq's words, what to tell the person who configured the service)
    (re.compile(r"Connection refused"),
     "connexion refusée : aucun serveur PostgreSQL n'écoute à cette adresse et ce port"),
    (re.compile(r'database "([^"]+)" does not exist'), r"la base « \1 » n'existe pas"),
    (re.compile(r'password authentication failed for user "([^"]+)"'),
     r"mot de passe refusé pour l'utilisateur « \1 »"),
    (re.compile(r'role "([^"]+)" does not exist'), r"l'utilisateur « \1 » n'existe pas"),
    (re.compile(r"no password supplied|fe_sendauth"), "un mot de passe est demandé"),
    (re.compile(r"could not translate host name \"([^\"]+)\""), r"nom d'hôte inconnu : « \1 »"),
    (re.compile(r"failed to resolve host '([^']+)'"), r"nom d'hôte inconnu : « \1 »"),
    (re.compile(r"No such file or directory"), "aucun serveur sur ce socket local"),
    (re.compile(r"timeout expired|timed out"), "pas de réponse du serveur à temps"),
    (re.compile(r'invalid (\w+) value: "([^"]*)"'), r"valeur invalide pour l'option \1 : « \2 »"),
    (re.compile(r'invalid connection option "([^"]+)"'), r"option de connexion inconnue : « \1 »"),
    (re.compile(r"no pg_hba.conf entry"), "connexion non autorisée par pg_hba.conf"),
    (re.compile(r"the database system is (starting up|shutting down)"),
     "le serveur démarre ou s'arrête"),
]


def url_problem(url: str) -> str | None:
    """What is wrong with the form of a database URL, None when libpq can read it."""
    from psycopg import conninfo

    try:
        conninfo.conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 — psycopg.ProgrammingError and friends
        return ("adresse de base illisible : attendue sous la forme "
                "postgresql://utilisateur:motdepasse@hôte:5432/base")
    return None


def connection_reason(exc: BaseException) -> str:
    """The reason of a failed connection in French (libpq's first line when unknown)."""
    text = str(exc)
    for pattern, words in REASONS:
        found = pattern.search(text)
        if found:
            return found.expand(words) if "\\" in words else words
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:200]
