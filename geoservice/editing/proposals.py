"""Residents propose, moderators decide: proposals of new features, corrections of public
features, and problem reports, in one moderation queue.

A proposal is checked against the layer's schema when it is made (so that an acceptance
does not fail on a typo), kept apart from the public layers, and applied only by a
moderator, through the same write path as Part 4 (:class:`~.service.Editing`), with
conflict detection against the version the proposer saw. The proposer follows it with a
secret key (only its hash is stored); a contact, if given, is seen by moderators only and
erased after ``proposal_contact_days``; the client's network is kept only as a salted hash,
in the rate limit's short-lived counters and beside the proposal until it is decided or its
contact erased.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import shapely

from ..auth.accounts import Caller, digest
from ..auth.roles import MODERATORS
from ..errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from ..ratelimit import take
from ..storage.base import Row, now, stamp
from .entities import Decision, Proposal
from .geojson import check_feature_shape, geometry_wkb, invalid, row_feature
from .patch import merge_patch
from .service import Editing, Where, Written, changed_fields

KINDS = ("new", "correction", "report")
GLOBAL_KEY = "propositions:toutes"
"""The rate-limit key every proposal counts for (a flood from many addresses)."""
STATUSES = ("pending", "accepted", "rejected")
QUEUE_PAGE = 100
"""Proposals per page of the moderation queue by default."""
QUEUE_MAX = 500
"""At most this many per page (a larger ``limit`` is brought down to it)."""
PROBLEMS = {"n_existe_plus": "n'existe plus", "information_fausse": "information fausse",
            "doublon": "doublon", "autre": "autre"}
FIELDS = {"collection", "feature", "target", "note", "contact", "problem", "site_web"}
HONEYPOT = "site_web"
SERVER_SET = ("id", "territoire", "source", "notes", "couvert", "reference_position", "qpv",
              "date_signalement", "etape", "etape_date", "reponse", "motif")
"""Properties a proposer never chooses: the server or a moderator sets them (a need's
stage is the Fabrique team's: docs/fabrique.md)."""
MAX_NOTE = 2_000
MAX_CONTACT = 200
PROPOSED_BY = {"new": "proposé", "correction": "correction proposée",
               "report": "problème signalé"}


@dataclass(frozen=True)
class Submitted:
    proposal: Proposal
    key: str
    """The follow-up key, shown once to the proposer (only its hash is stored)."""


def new_id() -> str:
    return "p-" + secrets.token_hex(5)


def _text(body: dict, name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid([(name, "texte attendu")])
    value = value.strip()
    if len(value) > limit:
        raise invalid([(name, f"{limit} caractères au plus ({len(value)} donnés)")])
    return value or None


def _point(geometry: bytes | None) -> Any:
    if geometry is None:
        return None
    shape = shapely.from_wkb(geometry)
    return shape if shape.geom_type == "Point" else shape.representative_point()


class Proposals:
    """The moderation queue on a store; ``editing`` applies acceptances."""

    def __init__(self, editing: Editing, settings: Any, where: Where) -> None:
        self.editing = editing
        self.storage = editing.storage
        self.settings = settings
        self.where = where

    # -- residents -------------------------------------------------------------------------

    def submit(self, body: Any, client: str) -> Submitted:
        """Check and queue a proposal (nothing public changes). ``client``: the salted hash
        of the proposer's network, for the rate limit, counted before anything else (a
        refused proposal gives its count back)."""
        limits = self._rate(client)
        try:
            return self._submit(body, client)
        except BaseException:
            for key in limits:
                self.storage.rates.forget(key, last_only=True)
            raise

    def _submit(self, body: Any, client: str) -> Submitted:
        if not isinstance(body, dict):
            raise invalid([("(corps)", "objet JSON attendu")])
        unknown = sorted(set(body) - FIELDS)
        if unknown:
            raise invalid([(name, "champ inconnu") for name in unknown])
        if body.get(HONEYPOT):
            raise invalid([(HONEYPOT, "ce champ doit rester vide (protection anti-robots)")])
        collection = body.get("collection")
        if not isinstance(collection, str):
            raise invalid([("collection", "nom de couche attendu")])
        layer = self.editing.layer(collection)
        note = _text(body, "note", MAX_NOTE)
        contact = _text(body, "contact", MAX_CONTACT)
        problem = body.get("problem")
        target = body.get("target")
        if target is not None and not isinstance(target, str):
            raise invalid([("target", "identifiant d'objet attendu")])
        pid = new_id()
        created = now()
        if problem is not None:
            kind = "report"
            if problem not in PROBLEMS:
                raise invalid([("problem", "une valeur parmi : " + ", ".join(PROBLEMS))])
            if target is None:
                raise invalid([("target", "obligatoire pour signaler un problème")])
            if problem in ("autre", "information_fausse") and not note:
                raise invalid([("note", "décrivez le problème")])
        else:
            kind = "correction" if target is not None else "new"
        feature, target_version, geometry = None, None, None
        if kind != "report" or body.get("feature") is not None:
            feature = check_feature_shape(body.get("feature"))
            if feature.get("id") is not None:
                raise invalid([("id", "fixé par le serveur : ne le donnez pas")])
            chosen = [n for n in SERVER_SET if n in feature["properties"]]
            if chosen:
                raise invalid([(n, "fixé par le service ou la modération") for n in chosen])
        if kind == "new":
            assert feature is not None
            feature, geometry = self._complete(layer, feature, pid, created)
        else:
            current = self.editing.stored(collection, str(target))
            if current.deleted:
                raise NotFound(f"Aucun objet « {target} » dans {collection}")
            target_version = current.version
            geometry = current.geometry
            if feature is not None:  # a correction, or a report with what it should be
                patch = {"properties": feature["properties"]}
                if feature.get("geometry") is not None:
                    patch["geometry"] = feature["geometry"]
                    geometry = geometry_wkb(feature["geometry"])
                merged = merge_patch(row_feature(current), patch)
                self.editing.validate(collection, merged, current.fid)
                if kind == "correction" and not changed_fields(
                        current, Row(current.fid, merged["properties"],
                                     geometry_wkb(merged["geometry"]))):
                    raise invalid([("feature", "aucune modification par rapport à l'objet "
                                               "publié")])
                feature = {"type": "Feature", "geometry": patch.get("geometry"),
                           "properties": feature["properties"]}
        qpv = self._qpv(geometry)
        proposal = Proposal(pid, kind, collection, feature, created, target=target,
                            target_version=target_version, note=note, contact=contact,
                            problem=problem, qpv=qpv)
        key = secrets.token_urlsafe(24)
        self.storage.proposals.add_proposal(proposal, digest(key), client)
        self.purge()
        return Submitted(proposal, key)

    def followed(self, pid: str, key: str | None) -> Proposal:
        """The proposal its follow-up key opens (404 for a wrong key: nothing is told)."""
        found = self.storage.proposals.proposal(pid)
        if found is None or not key or not secrets.compare_digest(found[1], digest(key)):
            raise NotFound("Proposition inconnue, ou lien de suivi incorrect")
        return found[0]

    # -- moderators ------------------------------------------------------------------------

    def queue(self, caller: Caller | None, status: str | None = "pending",
              collection: str | None = None, qpv: str | None = None,
              kind: str | None = None, limit: int = QUEUE_PAGE, offset: int = 0
              ) -> tuple[list[Proposal], int]:
        """One page of the queue, oldest first (``limit`` at most :data:`QUEUE_MAX`), and
        how many proposals match in all."""
        self._moderator(caller)
        if status is not None and status not in STATUSES:
            raise InvalidParameter("status : une valeur parmi : " + ", ".join(STATUSES))
        if kind is not None and kind not in KINDS:
            raise InvalidParameter("kind : une valeur parmi : " + ", ".join(KINDS))
        self.purge()
        store = self.storage.proposals
        limit = min(max(1, limit), QUEUE_MAX)
        page = store.proposals(status, collection, qpv, kind, limit, max(0, offset))
        return page, store.count_proposals(status, collection, qpv, kind)

    def get(self, pid: str, caller: Caller | None) -> Proposal:
        self._moderator(caller)
        found = self.storage.proposals.proposal(pid)
        if found is None:
            raise NotFound(f"Aucune proposition « {pid} »")
        return found[0]

    def review(self, proposal: Proposal) -> dict[str, Any]:
        """What a moderator compares: the current feature (its version now), the proposed
        one, the fields that differ, and likely duplicates."""
        current = None
        if proposal.target is not None:
            row = self.editing.storage.features.get(proposal.collection, proposal.target)
            if row is not None:
                current = {"feature": row_feature(row), "version": row.version,
                           "deleted": row.deleted,
                           "changed_since": proposal.target_version is not None
                           and row.version != proposal.target_version}
        proposed = self.proposed_feature(proposal, current["feature"] if current else None)
        changed: list[str] = []
        if proposed is not None:
            before = current["feature"] if current else {"properties": {}, "geometry": None}
            changed = sorted(n for n in set(before["properties"]) | set(proposed["properties"])
                             if before["properties"].get(n) != proposed["properties"].get(n))
            if before.get("geometry") != proposed.get("geometry"):
                changed.append("geometry")
        return {"current": current, "proposed": proposed, "changed": changed,
                "duplicates": self.duplicates(proposal, proposed)}

    def proposed_feature(self, proposal: Proposal, current: dict | None) -> dict | None:
        if proposal.feature is None:
            return None
        if proposal.kind == "correction" and current is not None:
            patch = {"properties": proposal.feature["properties"]}
            if proposal.feature.get("geometry") is not None:
                patch["geometry"] = proposal.feature["geometry"]
            return merge_patch(current, patch)
        return proposal.feature

    def duplicates(self, proposal: Proposal, proposed: dict | None) -> list[dict[str, Any]]:
        """Public features that may be the same place (the one rule of
        :mod:`.duplicates`; for a correction, the target itself is not listed)."""
        if proposed is None:
            return []
        exclude = ((proposal.collection, proposal.target),) if proposal.target else ()
        found = self.editing.duplicates(proposal.collection, proposed.get("properties") or {},
                                        proposed.get("geometry"), exclude)
        return [{**c, "why": c["raison"].split(" ; ")} for c in found]

    def accept(self, pid: str, caller: Caller | None, edited: Any = None,
               version: int | None = None, message: str | None = None
               ) -> tuple[Proposal, Written | None]:
        """Apply a proposal through the write path (the moderator's role must allow it),
        and decide it in the same transaction. ``edited``: the feature as the moderator
        corrected it; ``version``: the target's version the moderator compared with
        (default: the one the proposer saw, so a change made meanwhile gives 412)."""
        proposal = self._pending(pid, caller)
        assert caller is not None
        decision = Decision(pid, "accepted", caller.email, message)
        reason = f"proposition {pid} ({PROPOSED_BY[proposal.kind]} sur la carte) acceptée"
        feature = proposal.feature if edited is None else check_feature_shape(edited)
        if proposal.kind == "report" and edited is None:
            with self.storage.transaction() as tx:
                tx.decide(decision)
            return self._reread(pid), None
        if proposal.kind == "new":
            assert feature is not None
            props = {k: v for k, v in feature["properties"].items() if k != "id"}
            if proposal.collection == "besoins":  # the QPV of where the moderator left it
                point = _point(geometry_wkb(feature.get("geometry")))
                props["qpv"] = None if point is None else self.where(point.x, point.y)[1]
            feature = {"type": "Feature", "geometry": feature.get("geometry"),
                       "properties": props}
            permit = self.editing.require(proposal.collection, "create", caller)
            change, row = self.editing.plan_create(permit, feature)
        else:
            expected = version if version is not None else proposal.target_version
            assert proposal.target is not None and expected is not None and feature
            patch: dict[str, Any] = {"properties": feature["properties"]}
            if feature.get("geometry") is not None:
                patch["geometry"] = feature["geometry"]
            permit = self.editing.require(proposal.collection, "update", caller)
            change, row = self.editing.plan_patch(permit, proposal.target, patch, expected)
        written = self.editing.commit(change, row, caller, reason, decision)
        return self._reread(pid), written

    def reject(self, pid: str, caller: Caller | None, message: str | None) -> Proposal:
        self._pending(pid, caller)
        assert caller is not None
        if not message or not message.strip():
            raise invalid([("message", "dites au proposant pourquoi (il le lira)")])
        if len(message) > MAX_NOTE:
            raise invalid([("message", f"{MAX_NOTE} caractères au plus")])
        with self.storage.transaction() as tx:
            tx.decide(Decision(pid, "rejected", caller.email, message.strip()))
        return self._reread(pid)

    def purge(self) -> int:
        """Erase the contacts older than the set delay (run with every submission and
        every queue read: no scheduler needed)."""
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.proposal_contact_days)
        return self.storage.proposals.purge_contacts(stamp(cutoff))

    # -- inside ----------------------------------------------------------------------------

    def _complete(self, layer: Any, feature: dict, pid: str, created: str
                  ) -> tuple[dict, bytes | None]:
        """A new feature as it would be published: server-set fields filled, checked."""
        feature = self.editing.completed(layer.id, feature)  # an event at a place: its position
        props = dict(feature["properties"])
        geometry = geometry_wkb(feature.get("geometry"))
        problems = []
        if "nom" in layer.properties and not str(props.get("nom") or "").strip():
            problems.append(("nom", "Le nom est obligatoire"))
        elif isinstance(props.get("nom"), str):
            props["nom"] = " ".join(props["nom"].split())
        if "defi" in layer.properties and props.get("defi") is None:
            props["defi"] = []  # « je ne sais pas » : no Défi chosen
        if geometry is None:
            problems.append(("geometry", "placez le point sur la carte ou donnez une adresse"))
        else:
            point = _point(geometry)
            commune, qpv = self.where(point.x, point.y)
            if commune is None:
                problems.append(("geometry", "ce point est hors du territoire servi"))
            elif "commune" in layer.properties and not props.get("commune"):
                props["commune"] = commune
            if layer.id == "besoins":
                props["qpv"] = qpv
        if problems:
            raise invalid(problems)
        spec_type = layer.properties.get("type")
        if props.get("type") is None and spec_type is not None and spec_type.enum \
                and len(spec_type.enum) == 1:
            props["type"] = spec_type.enum[0]
        if "statut" in layer.properties:  # events have statut_evenement instead
            props.setdefault("statut", "ouvert")
        props["source"] = f"proposition {pid} faite sur la carte le {created[:10]}"
        if layer.id == "besoins":
            props["date_signalement"] = date.today().isoformat()
            needed = [(n, "obligatoire pour un besoin") for n in ("description", "signale_par")
                      if not props.get(n)]
            if needed:
                raise invalid(needed)
        props["territoire"] = self.editing.territory
        self.editing.validate(layer.id, {**feature, "properties": {
            **props, layer.id_field: pid}}, pid)
        return {"type": "Feature", "geometry": feature.get("geometry"),
                "properties": props}, geometry

    def _qpv(self, geometry: bytes | None) -> str | None:
        point = _point(geometry)
        return None if point is None else self.where(point.x, point.y)[1]

    def _rate(self, client: str) -> dict[str, int]:
        """Count this proposal for its client and for everyone (a flood from many
        addresses), or 429; the limits counted."""
        limits = {client: self.settings.proposals_per_hour,
                  GLOBAL_KEY: self.settings.proposals_global_per_hour}
        refused = take(self.storage.rates, limits, timedelta(hours=1))
        if refused is not None:
            key, wait = refused
            why = (f"depuis cette connexion ({limits[key]} par heure)" if key == client else
                   f"sur le service en ce moment ({limits[key]} par heure pour tous)")
            raise TooManyRequests(f"Trop de propositions {why} : réessayez dans "
                                  f"{(wait + 59) // 60} min", retry_after=wait)
        return limits

    def _moderator(self, caller: Caller | None) -> None:
        if caller is None:
            raise Unauthorized("La modération demande un compte (jeton ou session)",
                               bearer=True)
        if caller.role not in MODERATORS:
            raise Forbidden("Seuls les modérateurs et administrateurs traitent les "
                            "propositions")

    def _pending(self, pid: str, caller: Caller | None) -> Proposal:
        proposal = self.get(pid, caller)
        if proposal.status != "pending":
            raise Conflict(f"La proposition {pid} a déjà été traitée ("
                           f"{'acceptée' if proposal.status == 'accepted' else 'refusée'})")
        return proposal

    def _reread(self, pid: str) -> Proposal:
        found = self.storage.proposals.proposal(pid)
        assert found is not None
        return found[0]

