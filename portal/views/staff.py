"""Staff pages (placeholder): where librarians will find quarantine, language reports and corrections."""

from __future__ import annotations

from flask import Blueprint

from portal.render import render

bp = Blueprint("staff", __name__)


@bp.route("/staff")
@bp.route("/staff.json", endpoint="index_json")
def index():
    return render("staff.html", {"sections": []})
