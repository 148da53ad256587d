"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from ..settings import Settings
from ..store import Collection, Store


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_collection(
    store: Annotated[Store, Depends(get_store)],
    collectionId: Annotated[str, Path(description="Identifiant de la collection")],  # noqa: N803
) -> Collection:
    return store.collection(collectionId)


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CollectionDep = Annotated[Collection, Depends(get_collection)]
