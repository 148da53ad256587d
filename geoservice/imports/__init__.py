"""Editors' CSV imports: column mapping, BAN geocoding with a review of doubtful rows, and
one changeset upserted by the file's own ids. Free of FastAPI: the API and the CLI call the
same functions (:mod:`.service`)."""
