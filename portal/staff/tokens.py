"""Staff tokens: one secret per library, the staff credential until accounts replace it.

Tokens come only from the environment (`GRENSELOS_STAFF_TOKENS="tromso=…,kautokeino=…"`) or, for tests
and the demo, the app config `STAFF_TOKENS` ({source id: token}); never from grenselos.toml, so no
secret lands in a file that is shared or committed. A token sees one library's data and nothing else;
there is no token that sees everything. Tokens shorter than `MIN_LENGTH` are refused, so a guessable
one never guards real data. With no tokens configured the staff pages are closed.

They are read once per application, so a rejected token is warned about once rather than on every
request; changing a token therefore takes a restart, and the restarted portal revokes every session
opened with the old token: a session keeps the token's *stamp* (an HMAC of library and token under
the portal's secret key, so the table does not reveal the token), and a stamp that no longer matches
the library's token ends the session (`portal.staff.sessions`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from flask import current_app

from portal.services import once_per_app

log = logging.getLogger(__name__)

ENV = "GRENSELOS_STAFF_TOKENS"
MIN_LENGTH = 24
#: Who signs in with a library token: the library's staff, not a named person (accounts will name them).
PRINCIPAL = "token"


def _parse() -> dict[str, str]:
    tokens = dict(current_app.config.get("STAFF_TOKENS") or {})
    for part in os.environ.get(ENV, "").split(","):
        source, sep, token = part.strip().partition("=")
        if sep and source.strip() and token.strip():
            tokens[source.strip()] = token.strip()
    known = {s.id for s in current_app.config["GRENSELOS_SETTINGS"].sources}
    usable = {}
    for source, token in tokens.items():
        if source not in known:
            log.warning("staff token for unknown source %r ignored", source)
        elif len(token) < MIN_LENGTH:
            log.warning("staff token for %r is shorter than %s characters; ignored", source, MIN_LENGTH)
        else:
            usable[source] = token
    return usable


def configured() -> dict[str, str]:
    """{source id: token} for every source with an acceptable token (read once per application)."""
    return once_per_app("staff_tokens", _parse)


def stamp(library: str, token: str) -> str:
    """The keyed fingerprint a session keeps of the token it was opened with."""
    key = current_app.secret_key
    key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key, f"staff-token\0{library}\0{token}".encode("utf-8"), hashlib.sha256).hexdigest()


def current_stamp(library: str, principal: str) -> str | None:
    """The stamp of the library's token now; None when that library has no token any more."""
    token = configured().get(library)
    return stamp(library, token) if token and principal == PRINCIPAL else None


def check(library: str, given: str) -> bool:
    """Whether `given` is the library's token, compared in constant time."""
    token = configured().get(library)
    if not token:
        return False
    return hmac.compare_digest(token.encode("utf-8"), (given or "").encode("utf-8"))
