"""Tokens, one-time codes and passwords: random, stored hashed, compared safely."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_BYTES = 32  # 256 bits of randomness
CODE_DIGITS = 6

_hasher = PasswordHasher()
# Verified against when an e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_token(prefix: str) -> str:
    """A bearer token such as ``vh_…``; the prefix tells people (and secret scanners) its kind."""
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"


def token_digest(token: str) -> str:
    """What is stored and looked up: the token itself never reaches the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(challenge_id: str, code: str) -> str:
    """Salted by the challenge, so equal codes of different challenges differ in storage."""
    return hashlib.sha256(f"{challenge_id}:{code}".encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not an account exists (``password_hash`` None)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
