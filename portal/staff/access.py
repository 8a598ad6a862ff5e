"""Who is acting as staff on this request, and signing in and out: the Flask side of staff accounts.

`principal()` answers from, in this order: an `Authorization` header (HTTP Basic username:password, or
`Bearer gls_…`, a personal API token), else the session cookie. A request that carries an
`Authorization` header is judged by it alone, never by a cookie it also carries; that is why such
requests skip the CSRF check (`portal.security`): a browser does not add the header to a forged request.

A person signs in with username, password and, when enrolled, a TOTP code (a POST with the CSRF token).
Before the password is even compared, `throttle` may refuse the attempt (per address, per library), and
the account may be locked (`accounts.store`); every outcome is audited. A sign-in opens a server-side
session (`sessions`) under a new random id (the id from before the sign-in, if any, is revoked: no
session fixation) and renews the CSRF token. The client address is the WSGI server's `REMOTE_ADDR`:
behind a reverse proxy, that server must be told to trust the proxy's forwarded address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import g, request, session

from accounts import Principal, audit
from accounts.store import BAD, Accounts
from core.clock import now as now_utc
from portal import security, services
from portal.staff import throttle
from portal.staff.sessions import SessionStore, StaffSession

SESSION_KEY = security.STAFF_SESSION_KEY


@dataclass(frozen=True)
class Attempt:
    """The outcome of a sign-in: `ok`, or refused (`wait` > 0: throttled or locked, retry after that many seconds)."""
    ok: bool
    wait: float = 0.0


def accounts() -> Accounts:
    return services.once_per_app("accounts", lambda: Accounts(services.sql(), services.settings().staff))


def store() -> SessionStore:
    def build():
        staff = services.settings().staff
        return SessionStore(services.sql(), idle=timedelta(minutes=staff.idle_minutes),
                            lifetime=timedelta(hours=staff.lifetime_hours))
    return services.once_per_app("staff_sessions", build)


def client_address() -> str | None:
    return request.remote_addr


def _stamp(_library: str, username: str) -> str | None:
    return accounts().current_stamp(username)


def current() -> StaffSession | None:
    """This request's open staff session from the cookie (looked up once per request); a dead one leaves it."""
    if "staff_session" not in g:
        raw = session.get(SESSION_KEY)
        found = None
        if isinstance(raw, str) and raw:
            found = store().find(raw, _stamp, client_address())
            if found is None:
                session.pop(SESSION_KEY, None)
        g.staff_session = found
    return g.staff_session


def _from_header(header) -> Principal | None:
    if header.type == "bearer":
        return accounts().principal_for_token(header.token or "")
    if header.type != "basic":
        return None
    username, password = header.username or "", header.password or ""
    now, client = now_utc(), client_address()
    user = accounts().get(username)
    library = user.library if user is not None else None
    with store().engine.begin() as conn:
        if throttle.wait_seconds(conn, services.settings().staff, client, library, now):
            audit.record(conn, audit.SIGN_IN_THROTTLED, now, library=library, principal=username[:64] or None,
                         client=client, detail="basic")
            return None
    outcome = accounts().authenticate(username, password, client=client, now=now, allow_totp=False)
    return outcome.principal


def by_header() -> bool:
    """Whether this request authenticates with an `Authorization` header (and so ignores any cookie)."""
    return request.authorization is not None


def principal() -> Principal | None:
    """The staff member acting on this request, or None (looked up once per request)."""
    if "staff_principal" not in g:
        found = None
        header = request.authorization
        if header is not None:
            found = _from_header(header)
        else:
            open_session = current()
            if open_session is not None:
                user = accounts().get(open_session.principal)
                found = user.principal if user is not None and not user.disabled else None
        g.staff_principal = found
    return g.staff_principal


def signed_in_source() -> str | None:
    found = principal()
    return found.library if found else None


def sign_in(username: str, password: str, code: str = "") -> Attempt:
    """Check the sign-in (unless throttled), open a fresh session when it is right; audited either way."""
    now, client = now_utc(), client_address()
    user = accounts().get(username)
    library = user.library if user is not None else None
    with store().engine.begin() as conn:
        wait = throttle.wait_seconds(conn, services.settings().staff, client, library, now)
        if wait:
            audit.record(conn, audit.SIGN_IN_THROTTLED, now, library=library,
                         principal=(username or "").strip().lower()[:64] or None, client=client)
            return Attempt(False, wait)
    outcome = accounts().authenticate(username, password, code, client=client, now=now)
    if not outcome.ok:
        return Attempt(False, 0.0 if outcome.reason == BAD else outcome.wait)
    sign_out()                                   # whatever session this browser had ends here
    raw = store().open(outcome.principal.library, outcome.principal.username, outcome.stamp, client, now)
    session.pop(security.FIELD, None)
    session[SESSION_KEY] = raw
    g.pop("staff_session", None)
    g.staff_principal = outcome.principal
    return Attempt(True)


def sign_out() -> None:
    raw = session.pop(SESSION_KEY, None)
    if isinstance(raw, str) and raw:
        store().revoke(raw, client_address())
    g.pop("staff_session", None)
    g.pop("staff_principal", None)
