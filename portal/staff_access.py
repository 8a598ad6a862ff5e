"""Who may see a library's staff pages: one secret token per library, until a login system exists.

Tokens come only from the environment (`GRENSELOS_STAFF_TOKENS="tromso=…,kautokeino=…"`) or, for tests
and the demo, the app config `STAFF_TOKENS` ({source id: token}); never from grenselos.toml, so no
secret lands in a file that is shared or committed. A librarian signs in once with the token (a POST
with the CSRF token, compared in constant time); the signed, HttpOnly, SameSite session then carries
only the library's source id. A staff session sees that library's data and nothing else; there is no
token that sees everything. Tokens shorter than `MIN_LENGTH` are refused, so a guessable one never
guards real data. With no tokens configured the staff pages are closed.
"""

from __future__ import annotations

import hmac
import logging
import os

from flask import current_app, session

log = logging.getLogger(__name__)

ENV = "GRENSELOS_STAFF_TOKENS"
SESSION_KEY = "staff_source"
MIN_LENGTH = 24


def configured_tokens() -> dict[str, str]:
    """{source id: token} for every source with an acceptable token."""
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


def source_for_token(given: str) -> str | None:
    """The source whose token this is; every configured token is compared, so timing tells nothing."""
    found = None
    for source, token in configured_tokens().items():
        if hmac.compare_digest(token.encode(), (given or "").encode()):
            found = source
    return found


def signed_in_source() -> str | None:
    source = session.get(SESSION_KEY)
    return source if source and source in configured_tokens() else None


def sign_in(source: str) -> None:
    session[SESSION_KEY] = source


def sign_out() -> None:
    session.pop(SESSION_KEY, None)
