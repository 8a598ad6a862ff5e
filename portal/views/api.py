"""The JSON API: the same dicts the pages are built from, at stable addresses under /api/."""

from __future__ import annotations

from flask import Blueprint, request

from portal.render import render
from portal.views.libraries import libraries_data
from portal.views.record import record_data
from portal.views.search import parse_request, search_data

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/search")
def search():
    return render("", search_data(parse_request(request.args)))


@bp.route("/record/<path:record_id>")
def record(record_id):
    return render("", record_data(record_id))


@bp.route("/libraries")
def libraries():
    return render("", libraries_data())
