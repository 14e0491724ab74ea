"""Passwords (argon2id), random tokens stored as hashes, and CSRF tokens bound to the browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from incubator.config import get_settings

_password_hash = PasswordHash(
    (Argon2Hasher(time_cost=get_settings().argon2_time_cost, memory_cost=get_settings().argon2_memory_kib),)
)
# Verifying against this keeps the time of "unknown e-mail" equal to "wrong password".
_DUMMY_HASH = _password_hash.hash("not-a-real-password-" + secrets.token_hex(8))

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # a corrupt hash must read as "wrong password", never as a 500
        return False


def password_problem(password: str) -> str | None:
    """A sentence explaining why a password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 200:
        return "Use at most 200 characters."
    if password.strip() != password:
        return "The password may not start or end with a space."
    return None


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(binding: str) -> str:
    """The CSRF token for a browser: an HMAC of its CSRF cookie, so a page from another site cannot know it."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(binding: str | None, submitted: str | None) -> bool:
    if not binding or not submitted:
        return False
    return hmac.compare_digest(csrf_token_for(binding), submitted)
