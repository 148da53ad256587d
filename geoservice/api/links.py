"""Absolute links for OGC API responses."""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out
