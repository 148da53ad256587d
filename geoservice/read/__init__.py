"""The read side: frozen in-memory snapshots of the storage and everything served from them.

- :mod:`.snapshot`: :class:`~.snapshot.Snapshot` (one set of revisions) and its
  :class:`~.snapshot.Collection` objects, with spatial indexes and memo caches;
- :mod:`.model`: the read model, which keeps a replica's current snapshot up to date;
- :mod:`.views`: analysis results served as layers (``diagnostic_qpv``, ``couverture``);
- :mod:`.frames`, :mod:`.cql2`, :mod:`.crs`, :mod:`.export`: typing rows into frames,
  filters, coordinate systems and the writers of every output format.

Nothing here writes to the storage; the write side is :mod:`geoservice.storage`,
:mod:`geoservice.editing` and :mod:`geoservice.imports`.
"""
