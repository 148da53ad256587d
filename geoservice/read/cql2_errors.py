"""A CQL2 filter's syntax error in words: where it is and what was expected, without the
parser's token names (« Unexpected token Token('QUOTE', "'") » becomes « apostrophe non
fermée (colonne 7) : … »)."""

from __future__ import annotations

import json

VALUES = {"BOOLEAN", "DOUBLE_QUOTED", "SINGLE_QUOTED", "FLOAT", "INT", "ENVELOPE", "MINUS"}
WORDS = {  # lark terminals of pygeofilter's CQL2 text grammar, as a reader says them
    "AND": "AND", "OR": "OR", "COMMA": "une virgule", "RPAR": "une parenthèse fermante « ) »",
    "LPAR": "une parenthèse ouvrante « ( »", "$END": "la fin du filtre",
}
QUOTE_HINT = ("un texte s'écrit entre apostrophes ('Toulouse') et une apostrophe dans le "
              "texte se double ('L''Escale')")


def _expected(expected: set[str] | frozenset[str] | None) -> str:
    names = set(expected or ())
    words = [word for name, word in WORDS.items() if name in names]
    if names & VALUES:
        words.insert(0, "une valeur (nombre, texte entre apostrophes, TRUE ou FALSE)")
    elif names and not words:
        words.append("une propriété, une valeur ou un opérateur")
    return " ou ".join(words)


def syntax_message(exc: Exception, lang: str) -> str:
    """One French sentence for a parse failure of a ``lang`` filter."""
    if isinstance(exc, json.JSONDecodeError):
        return (f"filter : JSON illisible (ligne {exc.lineno}, colonne {exc.colno}) : "
                "un filtre cql2-json est un objet JSON")
    token = getattr(exc, "token", None)
    column = getattr(exc, "column", None)
    where = f" (colonne {column})" if isinstance(column, int) and column > 0 else ""
    expected = _expected(getattr(exc, "expected", None) or getattr(exc, "allowed", None))
    wanted = f" ; attendu : {expected}" if expected else ""
    if token is not None and token.type == "$END":
        return f"filter : le filtre s'arrête trop tôt ; il manque {expected or 'la suite'}"
    if token is not None and token.type == "QUOTE":
        return f"filter : apostrophe non fermée{where} : {QUOTE_HINT}"
    if token is not None:
        return f"filter : « {str(token.value)[:30]} » inattendu{where}{wanted}"
    char = getattr(exc, "char", None)
    if char is not None:
        return f"filter : caractère « {char} » inattendu{where}"
    return f"filter : expression {lang} non reconnue"
