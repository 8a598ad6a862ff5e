"""The patron's reading list, kept in the signed session cookie (no account needed), at `/saved`.

It lived at `/lists` until the libraries' curated lists took that address; the old form actions
redirect here with 308 (method and body kept), so a page cached before the move still saves.

It is the portal's first form that changes state, so it carries the CSRF token every later form
(holds, staff corrections) will carry too.

The list lives in a cookie, and a browser silently drops a cookie past 4 KB (with it the CSRF token and
a staff session), so what enters it is bounded: only ids of records the catalogue really has, stored
as the catalogue's own public id (never the text the visitor sent), at most `MAX_ITEMS` of them and
`MAX_CHARACTERS` in all; past either bound the oldest entries give way, as they always have.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, session
from flask_babel import lazy_gettext as _l

from portal import services
from portal.errors import BadParameter
from portal.render import render, wants_json
from portal.urls import local_path

bp = Blueprint("saved", __name__)

MAX_ITEMS = 50
#: Characters of ids the list may hold: with the CSRF token and a staff session the cookie stays far below 4 KB.
MAX_CHARACTERS = 2000
MAX_ID = 300
SESSION_KEY = "saved"


def _saved() -> list[str]:
    saved = session.get(SESSION_KEY, [])
    return [r for r in saved if isinstance(r, str)] if isinstance(saved, list) else []


def _bounded(saved: list[str]) -> list[str]:
    saved = saved[-MAX_ITEMS:]
    while sum(len(r) + 3 for r in saved) > MAX_CHARACTERS:
        saved = saved[1:]
    return saved


@bp.route("/saved")
@bp.route("/saved.json", endpoint="index_json")
def index():
    service = services.search()
    items = []
    for record_id in _saved():
        record = service.record(record_id)
        items.append({"id": record_id, "title": (record or {}).get("title", record_id), "found": bool(record),
                      "languages": list((record or {}).get("languages") or [])[:1]})
    return render("saved.html", {"items": items})


@bp.route("/saved/add", methods=["POST"])
def add():
    asked = request.form.get("record", "").strip()
    if not asked or len(asked) > MAX_ID:
        raise BadParameter("record", _l("a record id is required"))
    record = services.search().record(asked)
    if record is None:
        raise BadParameter("record", _l("no record has this id"))
    record_id = record.get("id") or asked
    saved = _saved()
    if record_id not in saved:
        saved = _bounded(saved + [record_id])
        session[SESSION_KEY] = saved
    if wants_json():
        return render("", {"ok": True, "items": saved})
    return redirect(local_path(request.form.get("next"), "/saved"), code=303)


@bp.route("/saved/remove", methods=["POST"])
def remove():
    record_id = request.form.get("record", "")
    session[SESSION_KEY] = [r for r in _saved() if r != record_id]
    if wants_json():
        return render("", {"ok": True, "items": session[SESSION_KEY]})
    return redirect("/saved", code=303)


@bp.route("/lists/add", methods=["POST"], endpoint="moved_add")
@bp.route("/lists/remove", methods=["POST"], endpoint="moved_remove")
def moved():
    """The reading list's old form actions (before /lists held the libraries' lists)."""
    return redirect("/saved/" + request.path.rsplit("/", 1)[1], code=308)
