"""Password hashing: argon2id (argon2-cffi's defaults, RFC 9106's second recommendation), rehashed at sign-in.

When the parameters are raised (a new argon2-cffi release, or a later decision), a stored hash made with
the old ones is still accepted, and replaced by one with the new parameters the next time its owner signs
in, the only moment the password is known. A wrong password and an unreadable hash are both "no".
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    return hasher.hash(password)


def verify(stored: str, password: str, hasher: PasswordHasher = HASHER) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, hasher: PasswordHasher = HASHER) -> bool:
    try:
        return hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


@cache
def dummy_hash() -> str:
    """Checked against when a username does not exist, so a wrong name takes as long as a wrong password
    (made on first use, not at import: every `grenselos` command imports this module)."""
    return hash_password("no such user; this only costs time")
