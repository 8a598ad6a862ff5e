"""Password and PIN hashing: argon2id, with the parameters stored in each hash string and rehashed at sign-in.

Staff passwords use argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes), the strong
set. Patron PINs use their own, light set (`[circulation] pin_hash_memory_kib`, `pin_hash_time_cost`):
a 4–6 digit PIN has 10^4–10^6 possible values, so whoever steals the table tries them all against one card
in seconds with light parameters and in hours with the strong ones — slow hashing buys almost nothing for a
PIN, while costing half a second a patron at every sign-in and hours when 20,000 patrons are migrated. What
protects a PIN is the throttling and lock-out at sign-in (`pin_failures`, `client_pin_failures`), and the
hash still keeps the PIN itself out of the database. Staff passwords keep the strong set: they have the
entropy that makes slow hashing worth it.

Because argon2 writes its parameters into the hash string, a stored hash made with other parameters (older
defaults, or a PIN hashed with the strong set before PINs had their own) is still accepted, and replaced by
one with the current parameters the next time its owner signs in, the only moment the secret is known. A
wrong secret and an unreadable hash are both "no".
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER = PasswordHasher()


@cache
def pin_hasher(memory_kib: int, time_cost: int) -> PasswordHasher:
    """The hasher for patron PINs with these parameters (one object per set, so `dummy_hash` is made once)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    return hasher.hash(password)


def hash_many(secrets: list[str], hasher: PasswordHasher = HASHER) -> list[str]:
    """Hash a batch (an import's PINs) on every core: argon2-cffi releases the GIL while it hashes, so threads
    run in parallel without the pickling and process start-up a process pool would add."""
    if len(secrets) < 2:
        return [hasher.hash(s) for s in secrets]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(hasher.hash, secrets, chunksize=64))


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
def dummy_hash(hasher: PasswordHasher = HASHER) -> str:
    """Checked against when a username or card does not exist, so a wrong name takes as long as a wrong
    secret (made on first use, not at import: every `grenselos` command imports this module)."""
    return hash_password("no such user; this only costs time", hasher)
