"""Absolute links for OGC API responses."""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    """The public root of the service: ``GEOSERVICE_PUBLIC_URL`` when set (links then never
    reflect the request's ``Host`` header), else the URL the request was made to."""
    settings = getattr(request.app.state, "settings", None)
    public = getattr(settings, "public_url", None)
    if public:
        return public.rstrip("/")
    return str(request.base_url).rstrip("/")


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out
