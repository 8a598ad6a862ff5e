"""Authentication for the JSON API's staff views: HTTP Basic, a bearer API token, or a signed-in session.

A view decorated with `require_api_staff` runs only for a staff member (`access.principal()`); anyone
else gets `401` in the portal's JSON error shape with `WWW-Authenticate: Basic realm="Grenseløs"`, so
curl and scripts know to send credentials. Inside, `ensure_may_act_for(library_id)` ends the request with
`403` when the principal may not touch that library (`accounts.roles.may_act_for`).
"""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _

from accounts import Principal, roles
from portal.errors import error_response
from portal.render import wants_json
from portal.staff import access

REALM = "Grenseløs"


def unauthorized():
    """The 401 answer: JSON, with the challenge a client needs to retry with credentials."""
    response = error_response(401, _("Sign in as staff: HTTP Basic with your username and password, or "
                                     "an API token as Authorization: Bearer."), code="unauthorized")
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def staff_or_sign_in() -> Principal:
    """The signed-in staff member; anyone else is sent to sign in (a page) or gets 401 (JSON)."""
    found = access.principal()
    if found is None:
        if wants_json():
            abort(unauthorized())
        abort(redirect(url_for("staff.login", next=request.full_path.rstrip("?")), code=303))
    return found


def require_api_staff(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if access.principal() is None:
            return unauthorized()
        return view(*args, **kwargs)
    return wrapper


def ensure_may_act_for(library_id: str | None) -> Principal:
    """The principal, when it may act for `library_id`; otherwise the request ends (401 or 403)."""
    found = access.principal()
    if found is None:
        abort(unauthorized())
    if not roles.may_act_for(found, library_id):
        abort(403)
    return found
