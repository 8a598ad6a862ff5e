"""`/oai`: the OAI-PMH 2.0 provider (GET and POST as the protocol allows); the logic is in
`portal.oai_provider`, this view only hands over the arguments and the base URL."""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, request

from portal.ld_store import stores

bp = Blueprint("oai", __name__)


def provider():
    ext = current_app.extensions.setdefault("grenselos", {})
    if "oai_provider" not in ext:
        from harvest.store import RecordStore
        from portal.oai_provider import OaiProvider
        s = stores()
        ext["oai_provider"] = OaiProvider(s.settings, s.sql(), graph=s.graph,
                                          record_store=RecordStore(s.sql(), migrate=False))
    return ext["oai_provider"]


@bp.route("/oai", methods=["GET", "POST"])
def oai():
    args = request.form if request.method == "POST" else request.args
    base_url = stores().base_uri + "/oai"
    response = make_response(provider().handle(args, base_url))
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response
