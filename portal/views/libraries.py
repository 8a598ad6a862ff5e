"""The libraries of the county: list and one page per library, with what each holds."""

from __future__ import annotations

from flask import Blueprint, abort

from portal import services
from portal.render import render, split_format
from portal.views import lists as curated_lists

bp = Blueprint("libraries", __name__)

EMPTY = {"records": 0, "holdings": 0, "deleted": 0, "last_harvest": None}


def library_entry(library, counts: dict) -> dict:
    c = counts.get(library.source or library.id, EMPTY)
    return {**library.as_dict(), "records": c.get("records", 0), "holdings": c.get("holdings", 0),
            "last_harvest": c.get("last_harvest"),
            "search_url": f"/search?filter=library:{library.id}",
            "feed_url": f"/library/{library.key}/feed.atom"}


def libraries_data() -> dict:
    directory = services.libraries()
    counts = directory.counts()
    entries = [library_entry(lib, counts) for lib in directory.libraries]
    entries.sort(key=lambda e: (e["municipality"], e["name"]))
    return {"libraries": entries, "total_records": sum(e["records"] for e in entries)}


@bp.route("/library/<key>")
def library(key):
    directory = services.libraries()
    found = directory.find(split_format(key))
    if found is None:
        abort(404)
    return render("library.html", {"library": library_entry(found, directory.counts()),
                                   "opening_hours": opening_week(found.id),
                                   "lists": curated_lists.listing(library=found.id, limit=20)})


def opening_week(library_id: str) -> list[dict]:
    """This week's opening hours of the library's main service point, from what staff keep
    (`libraries.calendar`); empty when none are entered (the page then shows no hours at all)."""
    from datetime import date
    from sqlalchemy.exc import SQLAlchemyError
    from libraries import calendar
    database = services.database()
    if database is None or not database.has("opening_hours"):
        return []
    try:
        with database.engine.connect() as conn:
            point = calendar.main_point(conn, library_id)
            if point is None or not calendar.has_hours(conn, point):
                return []
            today = date.today()
            return [{"date": day.isoformat(), "weekday": day.weekday(), "today": day == today,
                     "hours": [{"opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M"),
                                "note": h.note} for h in hours]}
                    for day, hours in calendar.week(conn, point, today)]
    except SQLAlchemyError:
        return []


@bp.route("/libraries")
@bp.route("/libraries.json", endpoint="libraries_json")
def libraries():
    return render("libraries.html", libraries_data())
