"""Security headers on every response and a CSRF token on every form that changes state.

The content security policy allows scripts and styles only from the portal's own static files, so a
MARC field that slipped past escaping still could not run; `frame-ancestors 'none'` stops clickjacking.
The CSRF token is kept in the signed session and compared in constant time; GET never changes state.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
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

UNSAFE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def csrf_token() -> str:
    token = session.get(FIELD)
    if not token:
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def _check_csrf():
    from portal.protocol import is_protocol_request
    if request.method not in UNSAFE_METHODS or is_protocol_request():   # stateless read-only protocols
        return
    expected = session.get(FIELD, "")
    given = request.form.get(FIELD, "") or request.headers.get(HEADER, "")
    if not expected or not given or not hmac.compare_digest(str(expected), str(given)):
        abort(400, description="csrf")


def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app) -> None:
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
