"""Record and work pages: the description, the other editions and translations, holdings per library.

URLs carry the public record id (`{source}-{record_id}`, the instance URI's tail, which is also the
search document's id); an id from before record ids were minted (`source:identifier`) still resolves,
and is redirected to the public one so every record has one address.

When the search index cannot answer (`SearchUnavailable`), both pages are built from the record store
instead (`portal.record_store_service`), the truth the index is derived from, and say so
(`index_available: false`); only if the record store cannot answer either is the visitor told 503.
"""

from __future__ import annotations

import logging
from typing import Callable, TypeVar

from flask import Blueprint, abort, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from index.errors import SearchUnavailable
from portal import i18n, record_page, services, work_page
from portal.views import patron, staff_enrich
from portal.security import cookie_secure
from portal.render import render, split_format, wants_json

bp = Blueprint("record", __name__)
log = logging.getLogger(__name__)
T = TypeVar("T")

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


def home_library() -> str:
    """The library whose licences the visitor uses: the signed-in patron's home library, else the one
    they chose (`my_library`). Only a visitor with a patron session is looked up (credentials sent with
    a page request are not a sign-in, and must not count as a failed one)."""
    libraries = services.libraries()
    if session.get(patron.SESSION_KEY):
        card = patron.current_card()
        found = services.circulation().patron(card) if card else None
        library = libraries.by_id(found.library) if found is not None else None
        if library is not None:
            return library.id
    chosen = libraries.by_id(my_library())
    return chosen.id if chosen is not None else ""


def from_index_or_store(build: Callable[..., T]) -> T:
    """`build(service)` with the search index; when the index is down, with the record store."""
    try:
        return build(services.search())
    except SearchUnavailable as outage:
        fallback = services.record_store()
        log.warning("search unavailable, page %r built from the record store: %s", request.path, outage)
        try:
            return build(fallback)
        except SQLAlchemyError as exc:          # the truth is away too: the outage stands
            log.warning("record store unavailable as well: %s", exc)
            raise outage from exc


def record_data(record_id: str) -> dict:
    def build(service) -> dict:
        record = service.record(record_id)
        if record is None:
            abort(404)
        data = record_page.record_data(record, my_library(), service)
        data["online"] = record_page.online_access(data["record"], home_library())
        data["index_available"] = service is services.search()
        return data
    return from_index_or_store(build)


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
    data["hold"] = hold_form("record", data["record"]["id"])
    data["enrich_url"] = staff_enrich.enrich_url(data["record"])
    # a page with a staff link is that staff member's: no shared cache may keep it
    return render("record.html", data, headers={"Cache-Control": "private, no-store"} if data["enrich_url"] else None)


def hold_form(level: str, ref: str) -> dict | None:
    """What the "Place hold" form needs (the JSON twin: POST /api/patron/holds with these keys): the pickup
    libraries that lend through Grenseløs; None when no library here lends, or no circulating library
    has this record."""
    circ = services.circulation()
    sources = circ.circulating_sources
    if not sources or (level == "record" and not any(ref.startswith(s + "-") for s in sources)):
        return None
    return {"level": level, "ref": ref, "action": url_for("patron.place_hold"), "api": "/api/patron/holds",
            "pickups": pickup_options()}


def pickup_options() -> list[dict]:
    """Every pickup a hold may name, as the forms offer it: the lending libraries by name, then the book-bus
    and book-boat stops (`point`: the stop with its route and days), each with the `id` the API takes."""
    names = services.libraries()
    libraries = sorted(({"id": s, "name": names.by_id(s).name if names.by_id(s) else s, "point": None}
                        for s in services.circulation().circulating_sources), key=lambda p: p["name"])
    points = [{"id": p["id"], "name": _("%(stop)s (%(route)s)", stop=p["point"]["name"], route=p["point"]["route"]),
               "point": p["point"]} for p in services.holds().pickups() if p["point"]]
    return libraries + points


@bp.route("/work/<path:work_id>")
def work(work_id):
    work_id = split_format(work_id)

    def build(service) -> dict:
        found = service.work(work_id)
        if found is None:
            abort(404)
        data = work_page.work_data(found, my_library(), service)
        data["index_available"] = service is services.search()
        data["hold"] = hold_form("work", work_id)
        if data["hold"] is not None:            # a work hold may ask for some of its editions' languages
            codes = sorted({code for e in data["editions"] for code in e["languages"]})
            data["hold"]["languages"] = [{"code": c, "label": i18n.language_label(c)} for c in codes]
        return data
    return render("work.html", from_index_or_store(build))
