"""Record and work pages: the description, the other editions and translations, holdings per library.

URLs carry the public record id (`{source}-{record_id}`, the instance URI's tail, which is also the
search document's id); an id from before record ids were minted (`source:identifier`) still resolves,
and is redirected to the public one so every record has one address.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for

from portal import record_page, services
from portal.security import cookie_secure
from portal.render import render, split_format, wants_json

bp = Blueprint("record", __name__)

MY_LIBRARY_COOKIE = "mylib"


def my_library() -> str:
    """The patron's chosen library (source id): `?library=` (remembered), else the cookie."""
    libraries = services.libraries()
    asked = request.args.get("library", "")
    if asked and libraries.by_id(asked):
        g.set_my_library = asked
        return asked
    remembered = request.cookies.get(MY_LIBRARY_COOKIE, "")
    return remembered if libraries.by_id(remembered) else ""


def record_data(record_id: str) -> dict:
    record = services.search().record(record_id)
    if record is None:
        abort(404)
    return record_page.record_data(record, my_library())


@bp.after_app_request
def _remember_library(response):
    chosen = g.pop("set_my_library", None)
    if chosen:
        response.set_cookie(MY_LIBRARY_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=cookie_secure())
    return response


@bp.route("/record/<path:record_id>")
def record(record_id):
    record_id = split_format(record_id)
    data = record_data(record_id)
    if data["record"]["id"] != record_id:             # an old id: send the visitor to the public address
        target = url_for("record.record", record_id=data["record"]["id"] + (".json" if wants_json() and
                                                                             request.path.endswith(".json") else ""))
        query = request.query_string.decode()
        return redirect(target + ("?" + query if query else ""), code=301)
    data["libraries"] = [lib.as_dict() for lib in services.libraries().libraries]
    return render("record.html", data)


@bp.route("/work/<path:work_id>")
def work(work_id):
    work_id = split_format(work_id)
    found = services.search().work(work_id)
    if found is None:
        abort(404)
    return render("work.html", {"work": found})
