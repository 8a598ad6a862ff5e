"""`/healthz`: the stores' health as JSON (shape and status codes in `portal.health`)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from portal import health
from portal.errors import RETRY_AFTER

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    body, status = health.report()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response
