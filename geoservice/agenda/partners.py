"""Partners' calendars in: an iCalendar file (``.ics``) or an OpenAgenda JSON export, read
from a file or a URL, upserted into ``evenements`` by the source's own UID.

- Idempotent: a second run of the same calendar changes nothing; a changed event becomes a
  new version; an event gone from the source is said, never deleted silently.
- An event an editor has verified, edited or deleted is left as the editor left it
  (:func:`geoservice.editing.upsert.upsert`).
- Imported events are ``a_verifier`` unless their source is declared trusted
  (:class:`PartnerSource`, from the YAML of ``GEOSERVICE_AGENDA_SOURCES``).
- An event with a position outside the territory is skipped (a regional calendar holds
  many); one whose dates or RRULE cannot be read is skipped, with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ..catalog import LayerDef
from ..errors import ConfigError, SourceDataError
from ..storage import Storage
from ..vocab import DEFI_LABELS
from ..words import fold, slug
from .ical import TYPE_LABELS
from .occurrences import EVENTS
from .when import PARIS, When, WhenError, format_moment

FORMATS = ("ics", "openagenda")
OPENAGENDA_STATUS = {6: "annule", 4: "reporte"}
"""OpenAgenda's status codes (1 programmé, 2 reprogrammé, 3 en ligne, 4 reporté, 5 complet,
6 annulé) → statut_evenement; the others are ``prevu``."""
Where = Callable[[float, float], "str | None"]
"""(lon, lat) → INSEE code of the territory's commune containing the point, None outside."""


@dataclass(frozen=True)
class PartnerSource:
    """A partner's calendar (one entry of the agenda sources YAML)."""

    name: str
    url: str
    format: str | None = None
    trusted: bool = False
    pull: bool = False
    label: str | None = None

    @property
    def key(self) -> str:
        return slug(self.name, 30) or "source"


def load_sources(path: Path | None) -> list[PartnerSource]:
    """The partners' calendars declared in a YAML file (``sources:`` list); none without."""
    if path is None or not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name} : YAML illisible ({exc.__class__.__name__})") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path.name} : une liste « sources: » est attendue")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
            raise ConfigError(f"{path.name} : source n° {i + 1} : « name » et « url » requis")
        unknown = set(entry) - {"name", "url", "format", "trusted", "pull", "label"}
        if unknown:
            raise ConfigError(f"{path.name} : source « {entry['name']} » : champ inconnu "
                              f"« {sorted(unknown)[0]} »")
        if entry.get("format") not in (None, *FORMATS):
            raise ConfigError(f"{path.name} : source « {entry['name']} » : format ics ou "
                              "openagenda attendu")
        out.append(PartnerSource(str(entry["name"]), str(entry["url"]), entry.get("format"),
                                 entry.get("trusted") is True, entry.get("pull") is True,
                                 entry.get("label")))
    return out


def fetch(location: str, timeout: float) -> bytes:
    """The calendar's bytes, from a URL (http, https) or a file."""
    if location.startswith(("http://", "https://")):
        import httpx

        try:
            answer = httpx.get(location, timeout=timeout, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise SourceDataError(f"calendrier injoignable : {location} "
                                  f"({exc.__class__.__name__})") from exc
        if answer.status_code != 200:
            raise SourceDataError(f"calendrier : {location} a répondu {answer.status_code}")
        return answer.content
    path = Path(location)
    if not path.is_file():
        raise SourceDataError(f"fichier introuvable : {location}")
    return path.read_bytes()


def detect(data: bytes) -> str:
    head = data.lstrip(b"\xef\xbb\xbf \r\n\t")[:200]
    if head.upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith((b"{", b"[")):
        return "openagenda"
    raise SourceDataError("ni un calendrier iCalendar (BEGIN:VCALENDAR) ni un export JSON "
                          "OpenAgenda")


@dataclass
class Incoming:
    """One event read from a partner's calendar."""

    uid: str
    props: dict[str, Any]
    geometry: dict[str, Any] | None = None


@dataclass
class Read:
    events: list[Incoming] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _labels(words: list[str]) -> tuple[list[str], str | None]:
    """Défis and a type of event named among categories or keywords."""
    defis, kind = [], None
    folded = {fold(w).strip() for w in words}
    for code, label in DEFI_LABELS.items():
        if fold(label) in folded or code in folded or fold(label.split()[0]) in folded:
            defis.append(code)
    for code, label in TYPE_LABELS.items():
        if kind is None and code != "autre" and (fold(label) in folded or code in folded):
            kind = code
    return defis, kind


def _point(lat: Any, lon: Any) -> dict[str, Any] | None:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return None
    return {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}


def _moment(value: Any) -> str | None:
    """An iCalendar DTSTART/DTEND value as stored (date, or date-time in Paris time; a
    floating time is read as Paris time)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=PARIS)
        return format_moment(aware)
    if isinstance(value, date):
        return value.isoformat()
    return None


def read_ics(data: bytes) -> Read:
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceDataError(f"calendrier iCalendar illisible : {str(exc)[:80]}") from exc
    out = Read()
    for event in cal.walk("VEVENT"):
        uid = str(event.get("UID") or "").strip()
        if not uid:
            out.skipped.append(f"« {event.get('SUMMARY')} » : sans UID")
            continue
        if event.get("RECURRENCE-ID") is not None:
            out.skipped.append(f"{uid} : exception d'une récurrence (RECURRENCE-ID) non "
                               "reprise")
            continue
        start = event.decoded("DTSTART", None)
        end = event.decoded("DTEND", None)
        all_day = isinstance(start, date) and not isinstance(start, datetime)
        if end is None and event.get("DURATION") is not None and start is not None:
            end = start + event.decoded("DURATION")
        if all_day and isinstance(end, date) and not isinstance(end, datetime):
            end = end - timedelta(days=1)  # DTEND of a day is exclusive; fin is the last day
        rule = event.get("RRULE")
        categories: list[str] = []
        for group in event.get("CATEGORIES", []) if isinstance(
                event.get("CATEGORIES"), list) else [event.get("CATEGORIES")]:
            if group is not None:
                categories += [str(c) for c in getattr(group, "cats", [group])]
        defis, kind = _labels(categories)
        geo = event.get("GEO")
        url = str(event.get("URL") or "") or None
        organizer = event.get("ORGANIZER")
        status = str(event.get("STATUS") or "").upper()
        out.events.append(Incoming(uid, {
            "nom": str(event.get("SUMMARY") or "").strip() or uid,
            "debut": _moment(start),
            "fin": _moment(end) if end is not None else None,
            "journee_entiere": all_day,
            "rrule": rule.to_ical().decode() if rule is not None else None,
            "statut_evenement": "annule" if status == "CANCELLED" else "prevu",
            "type_evenement": kind or "autre",
            "defi": defis,
            "organisateur": (organizer.params.get("CN") if organizer is not None else None)
            or None,
            "inscription_url": url,
            "description": str(event.get("DESCRIPTION") or "").strip() or None,
            "adresse": str(event.get("LOCATION") or "").strip() or None,
        }, _point(geo.latitude, geo.longitude) if geo is not None else None))
    return out


def _text(value: Any) -> str | None:
    """An OpenAgenda multilingual text ({"fr": …}) or a plain one."""
    if isinstance(value, dict):
        value = value.get("fr") or next(iter(value.values()), None)
    return str(value).strip() or None if value is not None else None


def read_openagenda(data: bytes) -> Read:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceDataError(f"export OpenAgenda illisible : {str(exc)[:80]}") from exc
    items = doc.get("events") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise SourceDataError("export OpenAgenda : une liste « events » est attendue")
    out = Read()
    for item in items:
        if not isinstance(item, dict) or item.get("uid") in (None, ""):
            out.skipped.append("un événement sans « uid »")
            continue
        uid = str(item["uid"])
        place = item.get("location") if isinstance(item.get("location"), dict) else {}
        keywords = item.get("keywords")
        words = keywords.get("fr") if isinstance(keywords, dict) else keywords
        words = words if isinstance(words, list) else [words] if isinstance(words, str) else []
        defis, kind = _labels([str(w) for w in words])
        links = [r.get("value") for r in item.get("registration") or []
                 if isinstance(r, dict) and r.get("type") == "link"]
        address = ", ".join(p for p in (place.get("name"), place.get("address")) if p) or None
        timings = [t for t in item.get("timings") or [] if isinstance(t, dict)]
        if not timings:
            out.skipped.append(f"{uid} : aucun horaire (timings)")
            continue
        for timing in timings:
            begin = timing.get("begin") or timing.get("start")
            finish = timing.get("end")
            key = uid if len(timings) == 1 else f"{uid}/{begin}"
            out.events.append(Incoming(key, {
                "nom": _text(item.get("title")) or uid,
                "debut": begin,
                "fin": finish,
                "journee_entiere": False,
                "rrule": None,
                "statut_evenement": OPENAGENDA_STATUS.get(item.get("status"), "prevu"),
                "type_evenement": kind or "autre",
                "defi": defis,
                "organisateur": None,
                "inscription_url": links[0] if links else None,
                "description": _text(item.get("description")),
                "adresse": address,
            }, _point(place.get("latitude"), place.get("longitude"))))
    return out


def feature_id(source: PartnerSource, uid: str) -> str:
    """The event's id in ``evenements``: the same for the same source and UID."""
    return f"evt-{source.key}-{hashlib.sha1(uid.encode()).hexdigest()[:10]}"


@dataclass
class Imported:
    """What an import did, said in French by :meth:`lines`."""

    source: PartnerSource
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changeset: int | None = None
    applied: list = field(default_factory=list)

    def lines(self) -> list[str]:
        state = "de confiance : publiés vérifiés" if self.source.trusted else \
            "à vérifier par l'équipe"
        out = [f"{self.source.name} : {len(self.inserted)} ajouté(s), {len(self.updated)} "
               f"mis à jour (nouvelle version), {self.unchanged} inchangé(s), "
               f"{len(self.kept)} gardé(s) tels que l'équipe les a laissés ({state})"]
        if self.gone:
            out.append(f"  {len(self.gone)} événement(s) absent(s) de la source, gardé(s) "
                       f"(non supprimé(s)) : {', '.join(self.gone)}")
        out += [f"  ignoré : {line}" for line in self.skipped]
        return out


def to_features(source: PartnerSource, read: Read, territory: str, where: Where,
                origin: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The GeoJSON features to upsert, and why others were skipped."""
    features, skipped = [], list(read.skipped)
    seen: set[str] = set()
    for event in read.events:
        fid = feature_id(source, event.uid)
        if fid in seen:
            skipped.append(f"{event.uid} : UID en double dans la source")
            continue
        seen.add(fid)
        props = {k: v for k, v in event.props.items()}
        try:
            When.of(props)
        except WhenError as exc:
            skipped.append(f"{event.uid} : {exc.field} : {exc.message}")
            continue
        link = props.get("inscription_url")
        if link and not str(link).lower().startswith(("http://", "https://")):
            props["inscription_url"] = None
        commune = None
        if event.geometry is not None:
            lon, lat = event.geometry["coordinates"]
            commune = where(lon, lat)
            if commune is None:
                skipped.append(f"{event.uid} : « {props['nom']} » hors du territoire servi")
                continue
        label = source.label or source.name
        props.update({
            "id": fid, "type": "evenement", "territoire": territory, "commune": commune,
            "precision": "adresse" if event.geometry is not None else None,
            "lieu": None, "public": None,
            "source": f"{label}, calendrier {origin}",
            "source_id": event.uid,
            "verification": "verifie" if source.trusted else "a_verifier",
            "notes": None, "licence": None, "millesime": None,
        })
        try:  # stored like a write would store them: Paris time
            when = When.of(props)
            props["debut"] = format_moment(when.start)
            props["fin"] = format_moment(when.end) if when.end is not None else None
            props["rrule"] = when.rrule
        except WhenError:  # pragma: no cover - read just above
            continue
        features.append({"type": "Feature", "geometry": event.geometry, "properties": props})
    return features, skipped


def import_calendar(storage: Storage, layer: LayerDef, source: PartnerSource, data: bytes,
                    territory: str, where: Where, who: str) -> Imported:
    """Read and upsert one partner's calendar (one changeset, written as the importer so
    that a later run knows what an editor touched); say what is gone."""
    from ..editing.upsert import upsert

    kind = source.format or detect(data)
    read = read_ics(data) if kind == "ics" else read_openagenda(data)
    features, skipped = to_features(source, read, territory, where, source.url)
    done = upsert(storage, layer, features, f"agenda : import de {source.name} ({who})")
    prefix = f"evt-{source.key}-"
    wanted = {f["properties"]["id"] for f in features}
    live = storage.features.read(EVENTS).rows
    gone = sorted(r.fid for r in live if r.fid.startswith(prefix) and r.fid not in wanted)
    return Imported(source, done.inserted, done.updated, done.unchanged, done.kept, gone,
                    skipped, done.changeset, done.applied)
