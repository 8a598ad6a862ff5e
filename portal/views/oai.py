"""`/oai`: the OAI-PMH 2.0 provider (GET and POST as the protocol allows); the logic is in
`portal.oai_provider`, this view only hands over the arguments and the base URL."""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, request

from portal.ld_store import stores
from portal.services import once_per_app

bp = Blueprint("oai", __name__)


def provider():
    def build():
        from harvest.store import RecordStore
        from portal.oai_provider import OaiProvider
        s = stores()
        return OaiProvider(s.settings, s.sql(), graph=s.graph, record_store=RecordStore(s.sql(), migrate=False),
                           secret=current_app.secret_key)
    return once_per_app("oai_provider", build)


@bp.route("/oai", methods=["GET", "POST"])
def oai():
    args = request.form if request.method == "POST" else request.args
    base_url = stores().base_uri + "/oai"
    response = make_response(provider().handle(args, base_url))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response
