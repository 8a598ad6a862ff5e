"""Staff pages for holds: each desk's morning list (what to send, what to clear from the hold shelf) and the
transport routes (book bus, book boat, van) that holds travel by.

Staff see their own library's list (a county admin may name any library with `?library=`). Routes are
county-wide data: every staff member may read them, only a county admin changes them, since one route
serves several libraries. Both pages have JSON twins; a script posts JSON to the same address.
"""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import gettext as _

from accounts import roles
from circulation import routes as route_store
from portal import services
from portal.render import render
from portal.security import no_store
from portal.staff import access
from portal.views.staff import negotiate, staff_page, submitted

bp = Blueprint("staff_holds", __name__)
bp.before_request(negotiate)


bp.after_request(no_store)


def _county_admin() -> bool:
    who = access.principal()
    return who is not None and who.role == roles.COUNTY_ADMIN


@bp.route("/staff/holds")
@bp.route("/staff/holds.json", endpoint="morning_json")
@staff_page
def morning():
    who = access.principal()
    library = request.args.get("library", "").strip() if _county_admin() else ""
    data = services.holds().morning_list(library or who.library)
    return render("staff_holds.html", data)


def _routes_data(message: str = "", error: str = "") -> dict:
    with services.sql().connect() as conn:
        found = route_store.all_routes(conn)
        points = route_store.all_points(conn, found)
    libraries = [{"id": s, "name": services.libraries().by_id(s).name if services.libraries().by_id(s) else s}
                 for s in services.circulation().circulating_sources]
    return {"routes": [r.as_dict() for r in found], "points": {k: p.as_dict() for k, p in points.items()},
            "libraries": libraries, "weekdays": list(route_store.WEEKDAYS),
            "kinds": list(route_store.KINDS), "may_edit": _county_admin(), "message": message, "error": error}


@bp.route("/staff/routes", methods=["GET", "POST"])
@bp.route("/staff/routes.json", methods=["GET", "POST"], endpoint="routes_json")
@staff_page
def routes():
    """Routes as a table; a county admin adds, changes (`id`) or removes (`delete`) one. Fields: name, kind,
    days (weekday codes, several), stops (library ids, in order; a form sends them space-separated). A
    book-bus or book-boat stop: `point` (its id), `point_name`, `route` (route id), `library` (its home
    library); `point` with `delete_point` takes it off its route."""
    if request.method == "GET":
        return render("staff_routes.html", _routes_data())
    if not _county_admin():
        abort(403)
    form = submitted()
    route_id = int(form["id"]) if str(form.get("id", "")).isdigit() else None
    circ = services.circulation()
    if form.get("delete") and route_id is not None:
        with services.sql().begin() as conn:
            route_store.remove(conn, route_id)
        return render("staff_routes.html", _routes_data(_("The route is removed.")))
    if form.get("point"):
        return _save_point(form)
    days = request.form.getlist("days") if request.form else str(form.get("days", "")).split()
    stops = [circ.library_id(s) for s in str(form.get("stops", "")).replace(",", " ").split()]
    name, kind = str(form.get("name", "")).strip(), str(form.get("kind", "van"))
    wrong = route_store.problems(name, kind, days, stops, circ.circulating_libraries)
    if wrong:
        return render("staff_routes.html", _routes_data(error=_("Check these fields: %(fields)s.",
                                                                fields=", ".join(wrong))), status=400)
    with services.sql().begin() as conn:
        route_store.put(conn, name, kind, days, stops, route_id)
    return render("staff_routes.html", _routes_data(_("The route is saved.")))


def _save_point(form):
    """Add, move or remove (`delete_point`) a service point on a route (`circulation.routes.put_point`)."""
    code = str(form.get("point", "")).strip()
    if form.get("delete_point"):
        with services.sql().begin() as conn:
            route_store.remove_point(conn, code)
        return render("staff_routes.html", _routes_data(_("The stop is removed.")))
    circ = services.circulation()
    route_id = int(form["route"]) if str(form.get("route", "")).isdigit() else None
    library = circ.library_id(str(form.get("library", "")))
    name = str(form.get("point_name", "")).strip()
    with services.sql().connect() as conn:
        route_ids = {r.id for r in route_store.all_routes(conn)}
    taken = set(circ.circulating_sources) | set(circ.circulating_libraries)
    wrong = route_store.point_problems(code, name, route_id, library, circ.circulating_libraries, route_ids, taken)
    if wrong:
        return render("staff_routes.html", _routes_data(error=_("Check these fields: %(fields)s.",
                                                                fields=", ".join(wrong))), status=400)
    with services.sql().begin() as conn:
        route_store.put_point(conn, code, name, route_id, library)
    return render("staff_routes.html", _routes_data(_("The stop is saved.")))
