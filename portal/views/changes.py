"""`/changes`: an ActivityStreams 2.0 change feed (OrderedCollection of OrderedCollectionPages).

Pages are fixed windows of the change log's sequence numbers (page n holds seq n·size+1 … (n+1)·size),
oldest first and newest last, so a page once full never changes and can be cached for ever, and a
follower polls the last page (`last`) for what is new — the LIBRIS/ActivityStreams pattern. The
logic is in `portal.change_feed`.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from portal.change_feed import collection, page
from portal.ld_store import stores
from portal.render import negotiated

bp = Blueprint("changes", __name__)

MEDIA = "application/activity+json"


def _json(data, cache: str):
    response = jsonify(data)
    best = request.accept_mimetypes.best_match([MEDIA, "application/ld+json", "application/json"],
                                               default=MEDIA)
    response.headers["Content-Type"] = best if best != MEDIA else MEDIA
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = cache
    return response


@bp.route("/changes")
def changes():
    negotiated()
    return _json(collection(stores()), "public, max-age=30")


@bp.route("/changes/<int:number>")
def changes_page(number: int):
    negotiated()
    data, complete = page(stores(), number)
    if data is None:
        abort(404)
    return _json(data, "public, max-age=86400" if complete else "public, max-age=30")
