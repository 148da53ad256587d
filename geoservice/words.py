"""Text folded for comparison, and slugs for identifiers (one rule for the whole service)."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, no accents, words only ("L’Union" → "l union", "Saint-Jean" →
    "saint jean").

    >>> fold("L’Union"), fold("Saint-Jean")
    ('l union', 'saint jean')
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    letters = "".join(c if c.isalnum() else " " for c in decomposed
                      if not unicodedata.combining(c))
    return " ".join(letters.encode("ascii", "ignore").decode().lower().split())


def slug(text: str, limit: int = 40) -> str:
    """An identifier part: ASCII lower case words joined by « - » (may be empty).

    >>> slug("Épicerie solidaire !")
    'epicerie-solidaire'
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:limit]
