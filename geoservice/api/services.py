"""The write side's services, built once per app (in the lifespan) on the storage the read
model also reads, and kept on ``app.state.services``; routes get them through the
dependencies of :mod:`.deps` (``EditingDep``, ``ProposalsDep``, ``ImportsDep``,
``AccountsDep``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..auth.service import Accounts
from ..editing import Editing
from ..editing.duplicates import Index, group
from ..editing.proposals import Proposals
from ..imports.geocoding import Thresholds
from ..imports.service import Imports
from ..settings import Settings
from ..spatial.locator import locator_for
from ..storage import Applied, Storage
from ..territory import get_territory

if TYPE_CHECKING:
    from ..read.model import ReadModel


@dataclass(frozen=True)
class Services:
    """None of them on a read-only replica (no writable storage)."""

    editing: Editing | None = None
    proposals: Proposals | None = None
    imports: Imports | None = None
    accounts: Accounts | None = None


def snapshot_neighbours(snapshot: Any, collection: str) -> list[tuple[str, dict, Any]]:
    """The public features of a collection (likely duplicates), from a snapshot: ids,
    properties and geometries it already holds, no storage read."""
    layer = snapshot.collection(collection)
    ids = (str(fid) for fid in layer.values(layer.layer.id_field))
    return list(zip(ids, layer.records, layer.geometries, strict=True))


def snapshot_index(snapshot: Any, collection: str) -> Index:
    """The likely-duplicate index of a collection's group (:mod:`..editing.duplicates`),
    built once per snapshot: each creation, proposal review or duplicate lookup between two
    writes reuses it; a write makes a new snapshot, hence a new index."""
    return snapshot.derived.get(
        ("duplicate-index", frozenset(group(collection))),
        lambda: Index.of(collection, lambda c: snapshot_neighbours(snapshot, c)))


def build_services(settings: Settings, storage: Storage | None, readmodel: ReadModel
                   ) -> Services:
    """The services on ``storage``; each commit makes ``readmodel`` catch up before the
    write is acknowledged (read-your-writes), and the layers and the point locator are
    those of its current snapshot."""
    if storage is None:
        return Services()

    def caught_up(applied: list[Applied]) -> None:
        readmodel.catch_up({a.collection: a.revision for a in applied})

    def layers() -> Any:
        return readmodel.current.layers

    def where(lon: float, lat: float) -> tuple[str | None, str | None]:
        return locator_for(readmodel.current).place(lon, lat)

    def neighbours(collection: str) -> list[tuple[str, dict, Any]]:
        return snapshot_neighbours(readmodel.current, collection)

    def index(collection: str) -> Index:
        return snapshot_index(readmodel.current, collection)

    editing = Editing(storage, layers, settings.territoire, on_commit=caught_up, where=where,
                      neighbours=neighbours, index=index)
    imports = Imports(editing, settings.ban_url,
                      Thresholds(settings.import_sure_score, settings.import_sure_gap),
                      tuple(get_territory(settings.territoire).communes), where)
    return Services(editing, Proposals(editing, settings, where), imports,
                    Accounts(storage, settings))
