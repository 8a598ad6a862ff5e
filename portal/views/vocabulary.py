"""The language vocabulary as SKOS: the scheme at /vocab/languages and each language under it.

The URIs are the ones `vocab.skos` mints under base_uri, so they dereference here. Turtle by default
(and for `.ttl`), JSON-LD, RDF/XML or N-Triples by Accept or suffix, as for every other resource.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, abort, current_app, request

from portal.render import negotiated

bp = Blueprint("vocabulary", __name__)

FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json"),
           "rdf": ("xml", "application/rdf+xml"), "nt": ("nt", "application/n-triples")}
BY_TYPE = {media: suffix for suffix, (_fmt, media) in FORMATS.items()}


@lru_cache(maxsize=8)
def _scheme(base_uri: str):
    from vocab import skos
    return skos.graph(base_uri)


def _negotiate(suffix: str | None) -> str:
    if suffix:
        if suffix not in FORMATS:
            abort(404)
        return suffix
    best = request.accept_mimetypes.best_match(list(BY_TYPE), default="text/turtle")
    return BY_TYPE.get(best, "ttl")


def _answer(graph, suffix: str) -> Response:
    fmt, media = FORMATS[suffix]
    body = graph.serialize(format=fmt)
    response = Response(body, mimetype=media)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/vocab/languages")
@bp.get("/vocab/languages.<suffix>")
def scheme(suffix: str | None = None):
    negotiated()
    base = current_app.config["GRENSELOS_SETTINGS"].base_uri
    return _answer(_scheme(base), _negotiate(suffix))


@bp.get("/vocab/languages/<code>")
def language(code: str):
    negotiated()
    from rdflib import Graph
    from vocab import skos
    suffix = None
    if "." in code:
        code, suffix = code.rsplit(".", 1)
    base = current_app.config["GRENSELOS_SETTINGS"].base_uri
    full = _scheme(base)
    subject = skos.language_uri(base, code)
    if (subject, None, None) not in full:
        abort(404)
    one = Graph()
    for prefix, namespace in full.namespaces():
        one.bind(prefix, namespace)
    for triple in full.triples((subject, None, None)):
        one.add(triple)
    return _answer(one, _negotiate(suffix))
