"""Who is signed in as staff on this request, and signing in and out: the Flask side of the staff area.

A librarian signs in by choosing the library and giving its credential (a POST with the CSRF token).
Before the credential is even compared, `throttle` may refuse the attempt; every outcome is audited.
A sign-in opens a server-side session (`sessions`) whose random id is the only staff fact the signed,
HttpOnly, SameSite session cookie carries, and it renews the CSRF token (a token from before the
sign-in does not carry over). The client address is the WSGI server's `REMOTE_ADDR`: behind a reverse
proxy, that server must be told to trust the proxy's forwarded address, or every client counts as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import g, request, session

from portal import security, services
from portal.staff import audit, throttle, tokens
from portal.staff.sessions import SessionStore, StaffSession, now_utc

SESSION_KEY = "staff_session"
MAX_LIBRARY = 64


@dataclass(frozen=True)
class Attempt:
    """The outcome of a sign-in: `ok`, or refused (`wait` > 0: throttled, retry after that many seconds)."""
    ok: bool
    wait: float = 0.0


def store() -> SessionStore:
    def build():
        staff = services.settings().staff
        return SessionStore(services.sql(), idle=timedelta(minutes=staff.idle_minutes),
                            lifetime=timedelta(hours=staff.lifetime_hours))
    return services.once_per_app("staff_sessions", build)


def client_address() -> str | None:
    return request.remote_addr


def libraries() -> list[str]:
    """Source ids of the libraries whose staff can sign in."""
    return sorted(tokens.configured())


def current() -> StaffSession | None:
    """This request's open staff session (looked up once per request); a dead one leaves the cookie."""
    if "staff_session" not in g:
        raw = session.get(SESSION_KEY)
        found = None
        if isinstance(raw, str) and raw:
            found = store().find(raw, tokens.current_stamp, client_address())
            if found is None:
                session.pop(SESSION_KEY, None)
        g.staff_session = found
    return g.staff_session


def signed_in_source() -> str | None:
    found = current()
    return found.library if found else None


def sign_in(library: str, credential: str) -> Attempt:
    """Check `credential` for `library` (unless throttled), open a session when it is right; audit either way."""
    now, client = now_utc(), client_address()
    library = library if library in tokens.configured() else None
    engine = store().engine
    with engine.begin() as conn:
        wait = throttle.wait_seconds(conn, services.settings().staff, client, library, now)
        if wait:
            audit.record(conn, audit.SIGN_IN_THROTTLED, now, library=library, client=client)
            return Attempt(False, wait)
        if library is None or not tokens.check(library, credential):
            audit.record(conn, audit.SIGN_IN_FAILED, now, library=library, principal=tokens.PRINCIPAL,
                         client=client, detail=None if library else "no staff access for the library named")
            return Attempt(False)
    raw = store().open(library, tokens.PRINCIPAL, tokens.stamp(library, credential), client, now)
    session.pop(security.FIELD, None)
    session[SESSION_KEY] = raw
    g.pop("staff_session", None)
    return Attempt(True)


def sign_out() -> None:
    raw = session.pop(SESSION_KEY, None)
    if isinstance(raw, str) and raw:
        store().revoke(raw, client_address())
    g.pop("staff_session", None)
