"""The roles an account may have, said once: the type, their order (least to most
rights), their French labels, and who moderates. Storage (the ``CHECK`` constraint), the
catalogue's layer permissions, the CLI (``users add --role``), the write side's messages
and the API all take them from here."""

from __future__ import annotations

from typing import Literal

Role = Literal["editor", "moderator", "admin"]
ROLES: tuple[Role, ...] = ("editor", "moderator", "admin")
"""Every role, least rights first."""
ROLE_LABELS: dict[str, str] = {"editor": "éditeur", "moderator": "modérateur",
                               "admin": "administrateur"}
"""A role as a sentence says it."""
MODERATORS: tuple[Role, ...] = ("moderator", "admin")
"""The roles that handle residents' proposals."""


def said(roles: tuple[str, ...] = ROLES) -> str:
    """``editor, moderator ou admin`` (help texts and messages)."""
    return ", ".join(roles[:-1]) + " ou " + roles[-1] if len(roles) > 1 else "".join(roles)
