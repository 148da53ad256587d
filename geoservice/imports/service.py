"""An editor's CSV import, from upload to one changeset.

1. **create**: the file is read, its columns mapped to the layer's properties (given,
   remembered for this source, or suggested from the labels), each row turned into a
   feature; rows without coordinates are geocoded through the BAN in one batch and classed
   *sure*, *review* or *rejected* (:mod:`.geocoding`); every row is checked against the
   layer's schema. Nothing is written to the layer.
2. **decide**: an editor confirms a row to review, places its pin by hand, or excludes it.
3. **apply**: the sure rows and the rows an editor confirmed or placed are upserted by the
   file's own id column, in one changeset; applying the same file again changes nothing,
   and a pin placed by hand is never moved by a later import.

Fields the file does not give are filled where the import knows them: the precision from
the BAN match type, the commune from its ``citycode``, the source from the file's name and
the date, ``statut`` (``inconnu``) and ``verification`` (``verifie``: an editor imports a
list the territory vouches for and reviews every doubtful row); otherwise a row says what
is missing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import PurePath
from typing import Any

from ..auth.accounts import Caller
from ..editing.service import Editing, Where, allowed
from ..errors import (
    Conflict,
    Forbidden,
    InvalidFeature,
    InvalidParameter,
    NotFound,
    Unauthorized,
)
from ..numbers import ascii_float
from ..storage import Change, VersionConflict
from ..storage.base import WriteMeta, now
from ..words import fold
from .geocoding import Thresholds, classify, search_csv
from .mapping import cell_value, check_mapping, read_table, suggest
from .plan import Planner, comment

APPLIED = ("sure", "confirmed", "placed")
"""Rows the next apply writes."""
STATUSES = ("sure", "review", "rejected", "confirmed", "placed", "excluded", "applied")
MAX_ROWS = 200_000
"""A file of 100,000 rows imports in one go."""
STEP = 10_000
"""Progress is told every this many rows."""
GEOCODE_BATCH = 5_000
Progress = Callable[[str, int, int], None]
"""(step, rows done, rows in all)."""


def summary(rows: list[dict]) -> dict[str, int]:
    """``sure`` counts the rows that will be applied (sure, confirmed or placed),
    ``applied`` those an earlier apply wrote."""
    out = {"sure": 0, "review": 0, "rejected": 0, "excluded": 0, "applied": 0}
    for row in rows:
        status = row["status"]
        out["sure" if status in APPLIED else status] += 1
    return out


class Imports:
    def __init__(self, editing: Editing, ban_url: str, thresholds: Thresholds,
                 communes: tuple[str, ...], where: Where) -> None:
        self.editing = editing
        self.storage = editing.storage
        self.ban_url = ban_url
        self.thresholds = thresholds
        self.communes = communes
        self.where = where

    # -- create ----------------------------------------------------------------------------

    def admit(self, caller: Caller | None) -> None:
        """Before a file is read: 401 without an account, 403 when the caller's role may
        create in no layer (the layer's own check follows in :meth:`create`)."""
        if caller is None:
            raise Unauthorized("Importer demande un compte : envoyez « Authorization: "
                               "Bearer JETON » (ou connectez-vous)", bearer=True)
        if not any("create" in allowed(layer, caller)
                   for layer in self.editing.layers.values()):
            raise Forbidden("Le rôle de ce compte ne peut créer d'objets dans aucune couche")

    def create(self, layer_id: str, filename: str, data: bytes, caller: Caller | None,
               mapping: Any = None, id_column: str | None = None, defaults: Any = None,
               source_name: str | None = None, progress: Progress | None = None
               ) -> dict[str, Any]:
        """``progress(step, done, total)``: told as the rows are read, geocoded, checked and
        compared (the CLI prints it)."""
        say = progress or (lambda step, done, total: None)
        layer = self.editing.require(layer_id, "create", caller).layer
        assert caller is not None
        filename = PurePath(filename or "import.csv").name[:120]
        source_name = (source_name or PurePath(filename).stem).strip()[:120] or "import"
        header, table = read_table(data, MAX_ROWS)
        if id_column is not None and id_column not in header:
            raise InvalidParameter(f"id_column : colonne « {id_column} » absente du fichier")
        key = f"{layer.id}:{fold(source_name)}"
        if mapping is not None:
            mapping = check_mapping(layer, header, mapping)
            mapped_from = "donné"
        else:
            saved = self.storage.imports.saved_mapping(key)
            if saved and all(c in header for c in saved.values()):
                mapping, mapped_from = saved, "mémorisé pour cette source"
            else:
                mapping, mapped_from = suggest(layer, header), "suggéré d'après les libellés"
        defaults = self._defaults(layer, defaults)
        stamp = f"{filename}, importé le {date.today().isoformat()}"
        total = len(table)
        say("lecture", total, total)
        rows = [self._row(layer, header, values, number, mapping, defaults, stamp, id_column)
                for number, values in enumerate(table, start=2)]
        del table
        self._geocode(rows, say)
        for n, row in enumerate(rows, start=1):
            self._check(layer, row)
            if n % STEP == 0 or n == total:
                say("contrôle", n, total)
        self._duplicates(rows)
        self._plan(Planner(self.storage, layer, source_name, self.editing.neighbours), rows,
                   say)
        record = {"id": "imp-" + secrets.token_hex(5), "layer": layer.id,
                  "source_name": source_name, "author": caller.email, "created_at": now(),
                  "status": "draft", "changeset": None,
                  "payload": {"filename": filename, "header": header, "mapping": mapping,
                              "mapped_from": mapped_from, "id_column": id_column,
                              "defaults": defaults, "rows": rows}}
        self.storage.imports.put_import(record)
        self.storage.imports.save_mapping(key, mapping)
        return record

    def _defaults(self, layer: Any, defaults: Any) -> dict[str, Any]:
        if defaults is None:
            return {}
        if not isinstance(defaults, dict):
            raise InvalidParameter("defaults : objet JSON propriété → valeur attendu")
        unknown = [n for n in defaults if n not in layer.properties]
        if unknown:
            raise InvalidParameter(f"defaults : propriété inconnue « {unknown[0]} »")
        return dict(defaults)

    def _row(self, layer: Any, header: list[str], values: list[str], number: int,
             mapping: dict[str, str], defaults: dict, stamp: str, id_column: str | None
             ) -> dict[str, Any]:
        cells = dict(zip(header, values + [""] * (len(header) - len(values)), strict=False))
        problems: list[str] = []
        invalid = len(values) > len(header)
        if invalid:
            problems.append(f"{len(values)} cellules pour {len(header)} colonnes")
        props: dict[str, Any] = {}
        for name, column in mapping.items():
            if name in ("lon", "lat"):
                continue
            value, problem = cell_value(name, layer.properties[name], cells.get(column, ""))
            if problem:
                problems.append(f"{layer.properties[name].label.fr} : {problem}")
                invalid = True
            elif value is not None:
                props[name] = value
        for name, value in defaults.items():
            props.setdefault(name, value)
        spec_type = layer.properties.get("type")
        if "type" not in props and spec_type is not None and spec_type.enum \
                and len(spec_type.enum) == 1:
            props["type"] = spec_type.enum[0]
        props.setdefault("statut", "inconnu")
        props.setdefault("source", stamp)
        props.setdefault("defi", [])
        props["verification"] = "verifie"
        props["territoire"] = self.editing.territory
        source_id = cells.get(id_column, "").strip() if id_column else ""
        if id_column and not source_id:
            problems.append(f"identifiant vide (colonne {id_column})")
            invalid = True
        row = {"line": number, "cells": cells, "props": props, "geometry": None,
               "source_id": source_id or None, "status": "sure", "problems": problems,
               "geocoding": None, "invalid": invalid}
        point = self._coordinates(mapping, cells, row)
        if point is not None:
            row["geometry"] = {"type": "Point", "coordinates": point}
            props.setdefault("geocodage", "coordonnées du fichier")
        elif "lon" not in mapping or "lat" not in mapping or not cells.get(mapping["lon"]):
            row["query"] = props.get("adresse") or None
        return row

    def _coordinates(self, mapping: dict, cells: dict, row: dict) -> list[float] | None:
        if "lon" not in mapping or "lat" not in mapping:
            return None
        lon_text, lat_text = cells.get(mapping["lon"], ""), cells.get(mapping["lat"], "")
        if not lon_text and not lat_text:
            return None
        lon = ascii_float(lon_text.replace(",", "."))
        lat = ascii_float(lat_text.replace(",", "."))
        if lon is None or lat is None:
            row["problems"].append(f"coordonnées illisibles « {lon_text} ; {lat_text} »")
            row["invalid"] = True
            return None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            row["problems"].append("coordonnées hors des bornes (lon, lat en degrés)")
            row["invalid"] = True
            return None
        commune, _ = self.where(lon, lat)
        if commune is None:
            row["status"] = "review"
            row["problems"].append("point hors du territoire")
        else:
            row["props"].setdefault("commune", commune)
        row["props"].setdefault("precision", "adresse")
        return [round(lon, 7), round(lat, 7)]

    def _geocode(self, rows: list[dict], say: Progress) -> None:
        """Addresses in batches of :data:`GEOCODE_BATCH` (the BAN's ``/search/csv/``)."""
        queries = [(str(r["line"]), (r["query"], r["props"].get("commune")))
                   for r in rows if r.get("query")]
        answers: dict[str, dict[str, str]] = {}
        for start in range(0, len(queries), GEOCODE_BATCH):
            answers.update(search_csv(self.ban_url,
                                      dict(queries[start:start + GEOCODE_BATCH])))
            say("géocodage", min(start + GEOCODE_BATCH, len(queries)), len(queries))
        for row in rows:
            if "query" not in row:
                continue
            if not row.pop("query"):
                row["status"] = "rejected"
                row["problems"].append("ni coordonnées ni adresse : rien à placer")
                continue
            found = classify(answers.get(str(row["line"])), self.communes, self.thresholds)
            row["status"] = found["status"]
            row["problems"] += found["problems"]
            geo = found["geocoding"]
            row["geocoding"] = geo
            if geo is not None:
                row["geometry"] = {"type": "Point", "coordinates": [geo["lon"], geo["lat"]]}
                row["props"].setdefault("precision", geo["precision"])
                if geo["citycode"] in self.communes:
                    row["props"].setdefault("commune", geo["citycode"])
                row["props"]["geocodage"] = geo["provenance"]

    def _check(self, layer: Any, row: dict) -> None:
        """Schema problems make a row rejected (an invalid row is never applied)."""
        if row["status"] == "rejected":
            return
        feature = {"type": "Feature", "geometry": row["geometry"],
                   "properties": {**row["props"], layer.id_field: "verification"}}
        try:
            self.editing.validate(layer.id, feature, "verification", territory=False)
        except InvalidFeature as exc:
            labels = {n: s.label.fr for n, s in layer.properties.items()}
            row["problems"] += [f"{labels.get(e['field'], e['field'])} : {e['message']}"
                                for e in exc.extra.get("errors", [])]
            row["status"] = "rejected"
        if row.get("invalid"):
            row["status"] = "rejected"

    def _duplicates(self, rows: list[dict]) -> None:
        seen: dict[str, int] = {}
        for row in rows:
            key = row["source_id"]
            if key is None:
                continue
            if key in seen:
                row["status"] = "rejected"
                row["problems"].append(f"identifiant « {key} » déjà vu ligne {seen[key]}")
            else:
                seen[key] = row["line"]

    def _plan(self, planner: Planner, rows: list[dict], say: Progress) -> None:
        """What each row would write; rows that would touch another origin's feature, a
        feature edited by hand since, or that look like a place already known, go to
        review (:mod:`.plan`)."""
        for n, row in enumerate(rows, start=1):
            if n % STEP == 0 or n == len(rows):
                say("comparaison", n, len(rows))
            if row["status"] in ("rejected", "excluded", "applied"):
                continue
            plan, review, duplicates = planner.plan(row)
            row["plan"], row["duplicates"] = plan, duplicates
            if review:
                row["problems"] += review
                if row["status"] == "sure":
                    row["status"] = "review"

    # -- review ----------------------------------------------------------------------------

    def get(self, import_id: str, caller: Caller | None) -> dict[str, Any]:
        record = self.storage.imports.get_import(import_id)
        if record is None:
            raise NotFound(f"Aucun import « {import_id} »")
        self.editing.require(record["layer"], "create", caller)
        return record

    def decide(self, import_id: str, line: int, action: str, caller: Caller | None,
               lon: float | None = None, lat: float | None = None) -> dict[str, Any]:
        record = self._draft(import_id, caller)
        row = next((r for r in record["payload"]["rows"] if r["line"] == line), None)
        if row is None:
            raise NotFound(f"Aucune ligne {line} dans l'import {import_id}")
        if row["status"] == "applied":
            raise Conflict(f"Ligne {line} déjà appliquée (lot {row.get('changeset')})")
        if action == "exclude":
            row["status"] = "excluded"
        elif action == "confirm":
            if row["status"] not in ("review", "confirmed") or row["geometry"] is None:
                raise InvalidParameter(f"Ligne {line} : seule une ligne « à revoir » qui a un "
                                       "point se confirme (sinon, placez le point à la main)")
            row["status"] = "confirmed"
        elif action == "place":
            if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InvalidParameter("lon et lat (degrés) sont requis pour placer le point")
            commune, _ = self.where(lon, lat)
            if commune is None:
                raise InvalidParameter("Ce point est hors du territoire servi")
            row["geometry"] = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
            row["props"]["geocodage"] = f"manuel, {date.today().isoformat()}"
            row["props"]["precision"] = "adresse"
            row["props"]["commune"] = row["props"].get("commune") or commune
            layer = self.editing.layer(record["layer"])
            row["status"], kept = "placed", list(row["problems"])
            row["problems"] = []
            if row.get("invalid"):
                raise InvalidParameter(f"Ligne {line} invalide : {'; '.join(kept)}")
            self._check(layer, row)
            if row["status"] == "rejected":
                row["problems"] = kept + row["problems"]
                raise InvalidParameter(f"Ligne {line} invalide : {'; '.join(row['problems'])}")
        else:
            raise InvalidParameter("action : confirm, place ou exclude")
        self.storage.imports.put_import(record)
        return record

    def apply(self, import_id: str, caller: Caller | None) -> dict[str, Any]:
        """Write the rows ready now (sure, confirmed, placed) in one changeset; rows to
        review stay in the import, to be decided and applied later. A row whose feature
        changed since the preview goes back to review instead of overwriting it."""
        record = self._draft(import_id, caller)
        assert caller is not None
        layer = self.editing.layer(record["layer"])
        payload = record["payload"]
        rows = payload["rows"]
        ready = [row for row in rows if row["status"] in APPLIED]
        if not ready:
            left = sum(row["status"] == "review" for row in rows)
            raise Conflict(f"L'import {import_id} n'a rien de prêt à appliquer "
                           f"({left} ligne(s) à revoir : confirmez-les, placez-les ou "
                           "excluez-les d'abord)")
        planner = Planner(self.storage, layer, record["source_name"], self.editing.neighbours)
        changes: list[Change] = []
        counts = {"inserted": 0, "updated": 0, "unchanged": 0, "kept": 0, "back": 0}
        written = []
        for row in ready:
            seen = row.get("plan") or {}
            plan, review, duplicates = planner.plan(row)
            moved = (plan["op"], plan["fid"], plan["version"]) != (
                seen.get("op"), seen.get("fid"), seen.get("version"))
            if moved or (review and row["status"] == "sure"):
                row["status"], row["plan"], row["duplicates"] = "review", plan, duplicates
                row["problems"] = [*review, "l'objet a changé depuis l'aperçu : revoyez la "
                                   "ligne avant de l'appliquer"] if moved else review
                counts["back"] += 1
                continue
            if plan["op"] == "insert":
                props, geometry = planner.props(row, plan)
                changes.append(Change("insert", layer.id, plan["fid"], props, geometry))
                counts["inserted"] += 1
            elif plan["op"] == "update":
                props, geometry = planner.props(row, plan)
                changes.append(Change("update", layer.id, plan["fid"], props, geometry,
                                      expected_version=plan["version"]))
                counts["updated"] += 1
            else:
                counts[plan["op"]] += 1
            row["status"], row["plan"] = "applied", plan
            written.append(row)
        record["status"] = "draft" if any(r["status"] in ("review", *APPLIED)
                                          for r in rows) else "applied"
        text = comment(payload["filename"], record["source_name"], len(changes))
        # the changes and the import's new state are one transaction: a second apply,
        # even a simultaneous one, finds the import changed and writes nothing (409)
        try:
            with self.storage.transaction() as tx:
                tx.mark_import_applied(import_id, record)
                applied = tx.apply(changes, WriteMeta(author=caller.email, role=caller.role,
                                                      reason=text, comment=text))
        except VersionConflict as exc:
            raise Conflict("Un objet de l'import a changé pendant l'application : rien n'a "
                           "été écrit ; rechargez l'import") from exc
        changeset = applied[0].changeset if applied else None
        for row in written:
            row["changeset"] = changeset
        if changeset is not None:  # the rows' changeset, for the screen (same record)
            stored = self.storage.imports.get_import(import_id)
            if stored is not None:
                stored["payload"] = payload
                self.storage.imports.put_import({**stored, "changeset": changeset})
        if applied:
            self.editing.on_commit(applied)  # read-your-writes
        return {"id": import_id, "changeset": changeset, "status": record["status"],
                "inserted": counts["inserted"], "updated": counts["updated"],
                "unchanged": counts["unchanged"], "kept": counts["kept"],
                "back_to_review": counts["back"],
                "review": sum(r["status"] == "review" for r in rows),
                "applied_rows": len(written)}

    def _draft(self, import_id: str, caller: Caller | None) -> dict[str, Any]:
        record = self.get(import_id, caller)
        if record["status"] != "draft":
            raise Conflict(f"L'import {import_id} a déjà été appliqué")
        return record
