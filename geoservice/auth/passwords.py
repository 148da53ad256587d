"""Local passwords (small installations without OpenID Connect): argon2id, the OWASP
recommendation, through ``argon2-cffi``."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import InvalidParameter

_HASHER = PasswordHasher()
MIN_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InvalidParameter(f"mot de passe trop court ({MIN_LENGTH} caractères au moins)")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False otherwise (no hash, wrong password)."""
    if not stored_hash:
        _HASHER.hash("constant-time-when-no-account")  # same cost either way
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
