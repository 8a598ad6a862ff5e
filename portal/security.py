"""Security headers on every response, a CSRF token on every form that changes state, cookie and CORS policy.

The content security policy allows scripts and styles only from the portal's own static files, so a
MARC field that slipped past escaping still could not run; `frame-ancestors 'none'` stops clickjacking.
The CSRF token is kept in the signed session and compared in constant time; GET never changes state.
A request with an `Authorization` header (HTTP Basic, a bearer API token) and a body no cross-site form
can send (JSON, or none) skips the check: it is authenticated by that header only, never by the session
cookie. A form body keeps the check even with the header, since a browser resends remembered Basic
credentials on a forged form post by itself. The CSRF check runs only on a request that routed: a method a route does not take is its 405 (and an
unknown path its 404), not a misleading "form expired".

Cookies are Secure whenever the request came over HTTPS (behind a proxy, as the WSGI server reports it
from `X-Forwarded-Proto`), and on every request when `[portal] secure_cookies` is set; the session
cookie follows the same rule as the others (`cookie_secure`).

Cross-origin reads (`Access-Control-Allow-Origin: *`) are an allow-list of the public blueprints: the
catalogue, its JSON API and its linked data. Anything tied to a session (staff pages, the patron's
list) never carries the header, whatever a view sets, so a new private view is private by default.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",         # covers: the record's own (856) or the configured cover service
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

#: The session keys that make a cookie a credential: a staff sign-in (`portal.staff.access`) and a patron's
#: (`portal.views.patron`). Both modules take their key from here, so the CSRF rule below knows every one.
STAFF_SESSION_KEY = "staff_session"
PATRON_SESSION_KEY = "patron_card"
UNSAFE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
#: What another site's page can send without a CORS preflight. A browser that remembers Basic credentials
#: adds the Authorization header to such a forged request by itself, so these bodies keep the CSRF check
#: even when the header is there; scripts send JSON (or nothing) and skip it.
FORM_TYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data", "text/plain"))
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
#: Blueprints whose non-HTML answers any web page may read: public data, no session involved.
CORS_PUBLIC = frozenset(("search", "record", "libraries", "languages", "api", "resources", "sparql", "void",
                         "oai", "changes", "vocabulary", "lists"))
CORS_HEADER = "Access-Control-Allow-Origin"


def cookie_secure() -> bool:
    """Whether a cookie set on this response gets the Secure attribute."""
    return bool(request.is_secure or current_app.config["GRENSELOS_SETTINGS"].portal.secure_cookies)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure by the portal's rule rather than by a fixed config value."""

    def get_cookie_secure(self, app) -> bool:
        return cookie_secure()


def csrf_token() -> str:
    token = session.get(FIELD)
    if not token:
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def _check_csrf():
    from portal.protocol import is_protocol_request
    if request.method not in UNSAFE_METHODS or is_protocol_request():   # stateless read-only protocols
        return
    if request.routing_exception is not None:
        return                         # no such route or method: Flask answers 404/405 after this hook
    if request.authorization is not None and request.mimetype not in FORM_TYPES:
        return                         # judged by the header alone, never by a cookie (portal.staff.access)
    if request.path.startswith("/api/") and request.authorization is None \
            and not any(session.get(key) for key in (STAFF_SESSION_KEY, PATRON_SESSION_KEY)):
        return                         # no credentials at all: the API view answers 401, not "form expired"
    expected = session.get(FIELD, "")
    given = request.form.get(FIELD, "") or request.headers.get(HEADER, "")
    if not expected or not given or not hmac.compare_digest(str(expected), str(given)):
        abort(400, description="csrf")


def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if "frame-ancestors 'none'" not in response.headers["Content-Security-Policy"]:
        del response.headers["X-Frame-Options"]     # a page that names who may frame it (a list's widget)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.blueprint in CORS_PUBLIC and response.mimetype != "text/html":
        response.headers.setdefault(CORS_HEADER, "*")
    else:
        response.headers.pop(CORS_HEADER, None)
    return response


def no_store(response):
    """For blueprints about one patron or one library's staff work (`bp.after_request(no_store)`): no shared
    cache, and no browser history, may keep what the page shows."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
