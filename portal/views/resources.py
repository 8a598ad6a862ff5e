"""Dereferencing `{base_uri}/{kind}/{id}`: HTML for people, RDF for programs, chosen by Accept or suffix.

Works and libraries have the portal's own HTML pages, so for them this module steps in (before the
page's view runs) only when the client prefers an RDF type or asks with a suffix (`.ttl .jsonld .rdf
.nt`). Instances and their items send people to the record page (303 See Other); agents get a small
page of their own. Every RDF answer carries `Vary: Accept`, an ETag and Last-Modified, and honours
If-None-Match / If-Modified-Since with 304; a deleted resource answers 410 Gone, an unknown one 404.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from portal import agent_page
from portal.ld_resources import KINDS, body, context_document, etag, resolve
from portal.ld_store import stores
from portal.render import negotiated, render, split_format

bp = Blueprint("resources", __name__)

MEDIA = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/rdf+xml": "xml",
         "application/n-triples": "nt"}
CONTENT_TYPES = {"ttl": "text/turtle; charset=utf-8", "jsonld": "application/ld+json",
                 "xml": "application/rdf+xml; charset=utf-8", "nt": "application/n-triples; charset=utf-8"}
SUFFIXES = {".ttl": "ttl", ".jsonld": "jsonld", ".rdf": "xml", ".nt": "nt"}
EXTENSION = {v: k for k, v in SUFFIXES.items()}
HTML = ("text/html", "application/xhtml+xml")
#: Kinds whose HTML page belongs to another view: this module answers only for RDF.
HTML_ELSEWHERE = ("work", "library")


def negotiate(local: str) -> tuple[str, str | None]:
    """(id without suffix, RDF format or None for HTML)."""
    for suffix, fmt in SUFFIXES.items():
        if local.endswith(suffix) and len(local) > len(suffix):
            return local[: -len(suffix)], fmt
    accept = request.accept_mimetypes
    if not accept.provided:
        return local, None
    best = accept.best_match([*HTML, *MEDIA], default=None)
    if best is None or best in HTML:
        return local, None
    if accept[best] <= max(accept["text/html"], 0) and accept["text/html"] > 0:
        return local, None                       # a tie goes to HTML: browsers send */*
    return local, MEDIA[best]


@bp.before_app_request
def _rdf_for_html_pages():
    """Take over /work/<id> and /library/<key> when RDF is asked for; otherwise let their pages answer."""
    if request.method not in ("GET", "HEAD"):
        return None
    parts = request.path.strip("/").split("/", 1)
    if len(parts) != 2 or parts[0] not in HTML_ELSEWHERE or not parts[1]:
        return None
    negotiated()
    local, fmt = negotiate(parts[1])
    if fmt is None:
        return None
    return _rdf(parts[0], local, fmt)


@bp.route("/instance/<path:local>")
def instance(local):
    return _serve("instance", local)


@bp.route("/agent/<path:local>")
def agent(local):
    return _serve("agent", split_format(local))       # `.json`: the person page's JSON twin


@bp.route("/context.jsonld")
def context():
    response = make_response(context_document())
    response.headers["Content-Type"] = "application/ld+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _find(kind: str, local: str):
    """The resource behind a decoded path: URIs are minted percent-encoded, so try the encoded forms too."""
    first = None
    for candidate in dict.fromkeys((local, quote(local, safe="/"), quote(local, safe="/:@!$&'()*+,;=~"))):
        resource = resolve(stores(), kind, candidate)
        if resource.found or resource.gone or resource.withheld is not None:
            return resource
        first = first or resource
    return first


def _serve(kind: str, raw: str):
    negotiated()
    local, fmt = negotiate(raw)
    if fmt is not None:
        return _rdf(kind, local, fmt)
    resource = _find(kind, local)
    if resource.gone:
        abort(410)
    if not resource.found and resource.withheld is None:
        abort(404)
    if kind == "instance" and resource.record is not None:
        target = _record_page(local)
        if target:
            response = redirect(target, 303)
            response.headers["Vary"] = "Accept"
            return response
    alternates = [{"type": CONTENT_TYPES[f].split(";")[0], "href": request.path + EXTENSION[f]} for f in MEDIA.values()]
    if kind == "agent":          # a person's page: who they are and their works; the triples one click away
        local_id = unquote(resource.uri.split("/agent/", 1)[1])
        response = render("agent.html", agent_page.agent_data(resource, local_id, alternates))
        response.headers["Link"] = ", ".join([response.headers["Link"]] + [
            f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in alternates])
        return response
    rows = [{"subject": t.subject.value if hasattr(t.subject, "value") else str(t.subject),
             "predicate": t.predicate.value, "object": getattr(t.object, "value", str(t.object)),
             "link": t.object.__class__.__name__ == "NamedNode" and t.object.value.startswith(("http://", "https://"))}
            for t in sorted(resource.triples, key=str)]
    labels = [r["object"] for r in rows
              if r["subject"] == resource.uri and r["predicate"].endswith(("#label", "/name"))]
    response = make_response(render_template("resource.html", resource=resource, rows=rows, alternates=alternates,
                                             label=labels[0] if labels else resource.uri))
    response.headers["Link"] = ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["type"]}"' for a in alternates)
    return response


def _record_page(local: str) -> str | None:
    """The record page's id is the instance's own local id (`{source}-{record_id}`)."""
    try:
        return url_for("record.record", record_id=local)
    except Exception:  # noqa: BLE001 - a portal without record pages: show the resource page instead
        return None


def _rdf(kind: str, local: str, fmt: str):
    if kind not in KINDS:
        abort(404)
    resource = _find(kind, local)
    if resource.gone:
        return _plain(410, f"{resource.uri} was deleted.")
    if resource.withheld is not None:
        return _plain(403, f"{resource.uri} is not published as linked data: its record is licensed "
                           f"{resource.withheld.label('en')} ({resource.withheld.uri}), which does not allow "
                           "republication. Its record page serves patrons.")
    if not resource.found:
        return _plain(404, f"{resource.uri} is not known here.")
    modified = resource.modified.replace(microsecond=0) if resource.modified else None
    response = make_response(body(resource.triples, fmt))
    response.headers["Content-Type"] = CONTENT_TYPES[fmt]
    response.headers["Vary"] = "Accept"
    response.set_etag(etag(resource.triples, fmt).strip('"'))
    if modified is not None:
        response.last_modified = modified
    response.make_conditional(request)
    response.headers["Cache-Control"] = "public, max-age=300"
    if fmt == "jsonld":
        response.headers["Link"] = f'<{url_for("resources.context")}>; rel="http://www.w3.org/ns/json-ld#context"'
    return response


def _plain(status: int, text: str):
    response = make_response(text + "\n", status)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Vary"] = "Accept"
    return response
