"""The patron's reading list, kept in the signed session cookie (no account needed).

It is the portal's first form that changes state, so it carries the CSRF token every later form
(holds, staff corrections) will carry too.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, session

from portal import services
from portal.errors import BadParameter
from portal.render import render, wants_json

bp = Blueprint("lists", __name__)

MAX_ITEMS = 100


def _saved() -> list[str]:
    return list(session.get("saved", []))


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/lists"


@bp.route("/lists")
@bp.route("/lists.json", endpoint="index_json")
def index():
    service = services.search()
    items = []
    for record_id in _saved():
        record = service.record(record_id)
        items.append({"id": record_id, "title": (record or {}).get("title", record_id), "found": bool(record)})
    return render("lists.html", {"items": items})


@bp.route("/lists/add", methods=["POST"])
def add():
    record_id = request.form.get("record", "").strip()
    if not record_id or len(record_id) > 300:
        raise BadParameter("record", "a record id is required")
    saved = _saved()
    if record_id not in saved:
        saved = (saved + [record_id])[-MAX_ITEMS:]
        session["saved"] = saved
    if wants_json():
        return render("", {"ok": True, "items": saved})
    return redirect(_safe_next(request.form.get("next", "/lists")), code=303)


@bp.route("/lists/remove", methods=["POST"])
def remove():
    record_id = request.form.get("record", "")
    session["saved"] = [r for r in _saved() if r != record_id]
    if wants_json():
        return render("", {"ok": True, "items": session["saved"]})
    return redirect("/lists", code=303)
