"""The ESS answers as columns: what the diagnosis reads of each place (kind, id, name,
tags, status, precision, verification, commune, EPSG:2154 point), each read and tested once
and kept as numpy arrays, positions 0..n-1.

Masks (answers of a Défi, open places, places to check…) are then plain boolean array
operations, and subsets are masks over one table instead of copies of a frame. Every value
here depends on its own row only: a table can be cut into parts, built part by part and
put end to end (:meth:`Places.concat`), or rows taken from it (:meth:`Places.take`), and
it equals the table built whole from the same rows in the same order. That is what lets
:mod:`.inputs` keep one part per layer on the layer's collection and derive the part of an
edited layer from the previous one plus the changed rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
import shapely

ANSWER_STATUSES = ("ouvert", "inconnu")
TAG_SETS = (list, tuple, np.ndarray)
"""Values of ``defi`` read as a set of tags; anything else (None, text…) tags nothing."""


@dataclass(frozen=True)
class Places:
    """ESS answers as arrays (one row per place, in the order of the frame they come from).

    ``tags`` maps each tag met to the rows carrying it; ``tagged`` is False for rows with
    no tag (they count as généraliste for the nearest places).
    """

    kind: np.ndarray
    ids: np.ndarray
    """``str`` of each id (ties between equally near places go to the smallest)."""
    nom: np.ndarray
    """Names as stored (the nearest place is named with it)."""
    names: np.ndarray
    """Names as text (lists of answers name them with it)."""
    precision: np.ndarray
    commune: np.ndarray
    geometry: np.ndarray
    """Shapely geometries in EPSG:2154 (None when missing)."""
    open: np.ndarray
    """Status open or unknown."""
    by_commune: np.ndarray
    """Position known only to the commune (never counted in a ring or a distance)."""
    located: np.ndarray
    unverified: np.ndarray
    tagged: np.ndarray
    tags: dict[Any, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    # -- masks ------------------------------------------------------------------------------

    def defi(self, defi: str | None, untagged: bool = False) -> np.ndarray:
        """Rows tagged with ``defi`` (all rows when None; also untagged ones if asked)."""
        if defi is None:
            return np.ones(len(self), dtype=bool)
        found = self.tags.get(defi)
        mask = np.zeros(len(self), dtype=bool) if found is None else found.copy()
        if untagged:
            mask |= ~self.tagged
        return mask

    def answers(self, defi: str | None) -> np.ndarray:
        """Located, open (or status unknown) answers tagged with the Défi (all when None),
        whose position is known better than the commune."""
        return self.located & self.open & ~self.by_commune & self.defi(defi)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def of(cls, frame: Any, geometry: np.ndarray | None = None) -> Places:
        """The table of a frame with the place columns (``kind``, ``id``, ``nom``, ``defi``,
        ``statut``, ``precision``, ``verification``, ``commune``; missing ones read as
        None) and its geometry (or ``geometry``), in EPSG:2154."""
        n = len(frame)

        def column(name: str, missing: Any = None) -> np.ndarray:
            if name not in frame.columns:
                return np.full(n, missing, dtype=object)
            return frame[name].to_numpy(dtype=object)

        if geometry is None:
            geometry = np.asarray(frame.geometry.values, dtype=object)
        tagged, tags = tag_masks(column("defi"))
        return cls(
            kind=column("kind"),
            ids=_text(column("id")),
            nom=column("nom"),
            names=_text(column("nom")),
            precision=column("precision"),
            commune=_text(column("commune", "")),
            geometry=geometry,
            open=pd.Series(column("statut"), dtype=object).isin(ANSWER_STATUSES).to_numpy(),
            by_commune=_equals(column("precision"), "commune"),
            located=~(shapely.is_missing(geometry) | shapely.is_empty(geometry)),
            unverified=_equals(column("verification"), "a_verifier"),
            tagged=tagged, tags=tags)

    @classmethod
    def concat(cls, parts: list[Places]) -> Places:
        """The parts (at least one) end to end, as if built from their frames put end to
        end."""
        if len(parts) == 1:
            return parts[0]
        values: dict[str, Any] = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
                                  for f in fields(cls) if f.name != "tags"}
        names = list(dict.fromkeys(tag for part in parts for tag in part.tags))
        values["tags"] = {tag: np.concatenate([
            part.tags[tag] if tag in part.tags else np.zeros(len(part), dtype=bool)
            for part in parts]) for tag in names}
        return cls(**values)

    def take(self, positions: np.ndarray) -> Places:
        """The rows at ``positions`` (in that order)."""
        values = {f.name: getattr(self, f.name)[positions] for f in fields(self)
                  if f.name != "tags"}
        values["tags"] = {tag: mask[positions] for tag, mask in self.tags.items()}
        return Places(**values)


def _text(values: np.ndarray) -> np.ndarray:
    """Each value as pandas writes it as text (``astype(str)``), elementwise."""
    return pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)


def _equals(values: np.ndarray, wanted: str) -> np.ndarray:
    return (pd.Series(values, dtype=object) == wanted).to_numpy(dtype=bool)


def tag_masks(values: np.ndarray) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """Which rows carry at least one tag, and for each tag the rows carrying it: the lists
    are exploded and their tags factorized at C speed (no Python work per row)."""
    n = len(values)
    series = pd.Series(values, dtype=object)
    types = series.map(type, na_action=None)
    sets = types.isin(TAG_SETS).to_numpy()
    odd = np.flatnonzero(~sets & ~types.isin((type(None), str, float)).to_numpy())
    for i in odd:  # subclasses of list, tuple or array (rare): checked one by one
        sets[i] = isinstance(values[i], TAG_SETS)
    lists = series[sets]
    if not len(lists):
        return np.zeros(n, dtype=bool), {}
    tagged = np.zeros(n, dtype=bool)
    tagged[np.flatnonzero(sets)] = lists.map(len).to_numpy() > 0
    exploded = lists.explode()
    rows = exploded.index.to_numpy()
    tag_values = exploded.to_numpy(dtype=object)
    try:
        codes, uniques = pd.factorize(tag_values, use_na_sentinel=True)
    except TypeError:  # unhashable tags (a list in the list): compared one by one
        return tagged, _slow_tags(values, sets)
    tags: dict[Any, np.ndarray] = {}
    for code, tag in enumerate(uniques):
        mask = np.zeros(n, dtype=bool)
        mask[rows[codes == code]] = True
        tags[tag] = mask
    return tagged, tags


def _slow_tags(values: np.ndarray, sets: np.ndarray) -> dict[Any, np.ndarray]:
    tags: dict[Any, np.ndarray] = {}
    for i in np.flatnonzero(sets):
        for tag in values[i]:
            try:
                tags.setdefault(tag, np.zeros(len(values), dtype=bool))[i] = True
            except TypeError:
                continue
    return tags


def as_places(places: Any) -> Places:
    """``places`` as a table (a frame of places is read once; a table is kept as it is)."""
    return places if isinstance(places, Places) else Places.of(places)
