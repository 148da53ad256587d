"""Residents' proposals and moderators' decisions, as stored. Plain data: storage adapters
read and write these, nothing here knows storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Proposal:
    """A resident's proposal (new feature, correction) or problem report, as stored. Its
    follow-up key is never stored, only a hash; the store keeps a salted hash of the
    proposer's network beside it only while it is pending and its contact kept (a decision
    or the contact's purge forgets it); ``contact`` is seen by moderators only and purged
    after a delay."""

    id: str
    kind: str  # new | correction | report
    collection: str
    feature: dict[str, Any] | None
    created_at: str
    target: str | None = None
    target_version: int | None = None
    note: str | None = None
    contact: str | None = None
    problem: str | None = None
    qpv: str | None = None
    status: str = "pending"  # pending | accepted | rejected
    message: str | None = None
    moderator: str | None = None
    decided_at: str | None = None
    result_fid: str | None = None
    result_version: int | None = None
    changeset: int | None = None


@dataclass(frozen=True)
class Decision:
    """A moderator's decision on a pending proposal, committed in the same transaction as
    the changes it applies (none for a rejection or a handled report): see
    ``UnitOfWork.decide`` in :mod:`geoservice.storage.base`."""

    proposal: str
    status: str  # accepted | rejected
    moderator: str
    message: str | None = None
