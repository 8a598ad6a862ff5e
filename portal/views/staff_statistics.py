"""/staff/statistics (and its JSON twin): a lending library's year for the National Library's annual
statistics, as `circulation.statistics.annual` counts it.

Exact figures, since only the library's own staff see them (a county admin: every library, chosen with
`?library=`); anything public shows the suppressed figures instead (the circulation Data Cube).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, request, url_for

from accounts import roles
from circulation import statistics
from portal import services
from portal.render import render, wants_json
from portal.staff import access, api_auth
from vocab.languages import STATISTICS_GROUPS

bp = Blueprint("staff_statistics", __name__)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _staff():
    principal = access.principal()
    if principal is None:
        if wants_json():
            abort(api_auth.unauthorized())
        abort(redirect(url_for("staff.login", next=request.full_path.rstrip("?")), code=303))
    return principal


def _name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


@bp.route("/staff/statistics")
@bp.route("/staff/statistics.json", endpoint="index_json")
def index():
    principal = _staff()
    circ = services.circulation()
    library = request.args.get("library") or principal.library or ""
    if not roles.may_act_for(principal, library):
        abort(403)                               # another library's figures
    this_year = date.today().year
    try:
        year = int(request.args.get("year") or this_year)
    except ValueError:
        abort(400)
    if not 2000 <= year <= this_year + 1:
        abort(400)
    with circ.engine.connect() as conn:
        report = statistics.annual(conn, library, year)
    choices = sorted(circ.circulating_libraries) if principal.role == roles.COUNTY_ADMIN else [library]
    return render("staff_statistics.html", {
        "library": {"id": library, "name": _name(library)}, "year": year, "report": report,
        "libraries": [{"id": lib, "name": _name(lib)} for lib in choices],
        "language_groups": [name for name, _ in STATISTICS_GROUPS]})
