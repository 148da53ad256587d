"""The write side's service: Part 4 writes, history and revert, on any
:class:`~geoservice.storage.Storage`. Free of FastAPI: the API, the CLI and the tests call
the same functions."""

from .service import Editing, Written

__all__ = ["Editing", "Written"]
