"""One renderer for every page: a view builds a dict, the URL picks HTML or JSON.

As in Datasette, each page has a JSON twin (`/search.json?q=…`, or `?format=json` anywhere), and the
HTML advertises it with `Link: rel="alternate"`, so what a patron sees and what a program reads can
never drift apart.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from flask import g, jsonify, render_template, request

from portal.errors import BadParameter

FORMATS = ("html", "json")


def wants_json() -> bool:
    return g.get("format") == "json"


def split_format(raw_id: str) -> str:
    """An id from a URL path without its `.json` twin suffix (which then picks the JSON rendering)."""
    if raw_id.endswith(".json"):
        g.format = "json"
        return raw_id[:-5]
    return raw_id


def _choose_format():
    g.started = time.perf_counter()
    from portal.protocol import is_protocol_request
    if is_protocol_request():          # SPARQL/OAI-PMH read their own format parameters
        g.format = "html"
        return
    fmt = request.args.get("format", "")
    if fmt and fmt not in FORMATS:
        g.format = "html"
        raise BadParameter("format", "unknown format; use html or json")
    if fmt:
        g.format = fmt
    elif request.path.endswith(".json") or request.path.startswith("/api/"):
        g.format = "json"
    else:
        g.format = "html"


def html_path(path: str | None = None) -> str:
    path = path or request.path
    if path == "/index.json":
        return "/"
    return path[:-5] if path.endswith(".json") else path


def json_url() -> str:
    path = html_path()
    path = "/index.json" if path == "/" else path + ".json"
    args = [(k, v) for k, vs in request.args.lists() for v in vs if k not in ("format", "lang")]
    return path + ("?" + urlencode(args) if args else "")


def html_url() -> str:
    args = [(k, v) for k, vs in request.args.lists() for v in vs if k != "format"]
    return html_path() + ("?" + urlencode(args) if args else "")


def render(template: str, data: dict, status: int = 200, headers: dict | None = None):
    """Serve `data` as JSON or through `template`; the template gets the dict's keys as variables."""
    if wants_json():
        response = jsonify(data)
        response.status_code = status
        if not request.path.startswith("/api/"):
            response.headers["Link"] = f'<{html_url()}>; rel="alternate"; type="text/html"'
    else:
        response = render_template(template, **data, json_twin=json_url())
        from flask import make_response
        response = make_response(response, status)
        response.headers["Link"] = f'<{json_url()}>; rel="alternate"; type="application/json"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def negotiated() -> None:
    """Mark this request's URL as content-negotiated (its answer depends on Accept), whatever this
    particular answer is, so that caches keep the HTML and the RDF of one URL apart."""
    g.negotiated = True


def _timing(response):
    started = g.get("started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    # A page depends on the language and library cookies (an answer whose view set Vary itself, such as
    # RDF, does not); a negotiated URL depends on Accept too, whatever this answer is.
    if "Vary" not in response.headers:
        response.vary.add("Cookie")
    if g.get("negotiated"):
        response.vary.add("Accept")
    return response


def init_app(app) -> None:
    app.before_request(_choose_format)
    app.after_request(_timing)
