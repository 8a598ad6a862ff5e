"""/staff/statistics (and its JSON twin): a lending library's year for the National Library's annual
statistics, as `circulation.statistics.annual` counts it; /statistics/circulation: the same for anyone,
suppressed.

Exact figures only for the library's own staff (a county admin: every library, chosen with `?library=`);
the public page shows what the circulation Data Cube shows, small cells withheld
(`[circulation] suppress_below`).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, request

from accounts import roles
from circulation import statistics
from portal import services
from portal.render import render
from portal.security import no_store
from portal.staff import api_auth
from vocab.languages import STATISTICS_GROUPS

bp = Blueprint("staff_statistics", __name__)


bp.after_request(no_store)


_staff = api_auth.staff_or_sign_in


def _name(library_id: str) -> str:
    found = services.libraries().by_id(library_id)
    return found.name if found else library_id


def _year() -> int:
    this_year = date.today().year
    try:
        year = int(request.args.get("year") or this_year)
    except ValueError:
        abort(400)
    if not 2000 <= year <= this_year + 1:
        abort(400)
    return year


def _page(library: str, year: int, report: dict, choices, public: bool):
    return render("staff_statistics.html", {
        "library": {"id": library, "name": _name(library)}, "year": year, "report": report, "public": public,
        "libraries": [{"id": lib, "name": _name(lib)} for lib in choices],
        "language_groups": [name for name, _ in STATISTICS_GROUPS]})


@bp.route("/statistics/circulation")
@bp.route("/statistics/circulation.json", endpoint="public_json")
def public():
    circ = services.circulation()
    choices = sorted(circ.circulating_libraries)
    library = request.args.get("library") or (choices[0] if choices else "")
    if library not in choices:
        abort(404)
    year = _year()
    with circ.engine.connect() as conn:
        report = statistics.suppressed(statistics.annual(conn, library, year),
                                       services.settings().circulation.suppress_below)
    return _page(library, year, report, choices, public=True)


@bp.route("/staff/statistics")
@bp.route("/staff/statistics.json", endpoint="index_json")
def index():
    principal = _staff()
    circ = services.circulation()
    library = request.args.get("library") or principal.library or ""
    if not roles.may_act_for(principal, library):
        abort(403)                               # another library's figures
    year = _year()
    with circ.engine.connect() as conn:
        report = statistics.annual(conn, library, year)
    choices = sorted(circ.circulating_libraries) if principal.role == roles.COUNTY_ADMIN else [library]
    return _page(library, year, report, choices, public=False)
