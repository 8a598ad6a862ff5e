"""The libraries of the county: list and one page per library, with what each holds."""

from __future__ import annotations

from flask import Blueprint, abort

from portal import services
from portal.render import render, split_format

bp = Blueprint("libraries", __name__)

EMPTY = {"records": 0, "holdings": 0, "deleted": 0, "last_harvest": None}


def library_entry(library, counts: dict) -> dict:
    c = counts.get(library.id, EMPTY)
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
    return render("library.html", {"library": library_entry(found, directory.counts())})


@bp.route("/libraries")
@bp.route("/libraries.json", endpoint="libraries_json")
def libraries():
    return render("libraries.html", libraries_data())
