"""`/sparql`: the SPARQL 1.1 Protocol (query operation) over the graph store, and its HTML query page.

GET with `query`, POST as a form, or POST with an `application/sparql-query` body; `default-graph-uri`
and `named-graph-uri` as in the Protocol. The answer's format follows `Accept` (see
`portal.sparql_service`). A browser asking for HTML gets the query page, with the results as a table.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.ld_store import stores
from portal.render import negotiated
from portal.services import once_per_app
from portal.sparql_eval import SparqlError, write_solutions
from portal.sparql_service import QueryRunner, check_query, graph_list

bp = Blueprint("sparql", __name__)

PREFIXES = """PREFIX bf: <http://id.loc.gov/ontologies/bibframe/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX lang: <http://id.loc.gov/vocabulary/languages/>
PREFIX schema: <https://schema.org/>
"""

EXAMPLES = (
    ("sami-finnmark", _l("All Northern Sami books held in Finnmark"), PREFIXES + """
SELECT DISTINCT ?instance ?title ?library WHERE {
  ?work bf:language lang:sme ; bf:hasInstance ?instance .
  ?instance bf:hasItem/bf:heldBy ?lib .
  ?lib schema:addressRegion "Finnmark" ; schema:name ?library .
  OPTIONAL { ?instance bf:title/bf:mainTitle ?title }
}
ORDER BY ?title
LIMIT 100"""),
    ("translations", _l("Works translated from Norwegian into Sami"), PREFIXES + """
SELECT DISTINCT ?work ?title ?language WHERE {
  ?work bf:translationOf/bf:language ?original ; bf:language ?language ; bf:hasInstance ?instance .
  VALUES ?original { lang:nor lang:nob lang:nno }
  VALUES ?language { lang:smi lang:sme lang:sma lang:smj lang:smn lang:sms }
  OPTIONAL { ?instance bf:title/bf:mainTitle ?title }
}
LIMIT 100"""),
    ("languages", _l("Number of works per language"), PREFIXES + """
SELECT ?language (COUNT(DISTINCT ?work) AS ?works) WHERE {
  ?work a bf:Work ; bf:language ?language .
  FILTER(isIRI(?language))
}
GROUP BY ?language
ORDER BY DESC(?works)
LIMIT 50"""),
    ("libraries", _l("Items per library"), PREFIXES + """
SELECT ?library (COUNT(?item) AS ?items) WHERE {
  ?item a bf:Item ; bf:heldBy ?library .
}
GROUP BY ?library
ORDER BY DESC(?items)"""),
    ("books-per-language", _l("Books per language and library"), PREFIXES + """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX stat: <https://data.grenselos.no/def/statistics#>
# Read from the statistics graph the transform stage keeps (an RDF Data Cube, listed in /.well-known/void):
# answered in milliseconds, where counting through every work, instance and item takes seconds.
SELECT ?library ?language ?instances ?items WHERE {
  ?obs a qb:Observation ; stat:library ?lib ; stat:language ?language ;
       stat:instances ?instances ; stat:items ?items .
  OPTIONAL { ?lib schema:name ?name }
  BIND(COALESCE(?name, STR(?lib)) AS ?library)
}
ORDER BY ?library DESC(?instances)"""),
    ("minority-language-loans", _l("Loans of Sami, Kven, Finnish and Russian books per month"), PREFIXES + """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX stat: <https://data.grenselos.no/def/statistics#>
# From the circulation Data Cube (`grenselos circulation statistics-cube`); small cells are withheld
# (stat:suppressed true, no stat:count).
SELECT ?library ?month ?group ?loans WHERE {
  ?obs a qb:Observation ; stat:library ?lib ; stat:period ?month ; stat:indicator "loans" ;
       stat:languageGroup ?group .
  FILTER(?group != "all")
  OPTIONAL { ?obs stat:count ?count }
  BIND(COALESCE(STR(?count), "suppressed") AS ?loans)
  OPTIONAL { ?lib schema:name ?name }
  BIND(COALESCE(?name, STR(?lib)) AS ?library)
}
ORDER BY ?library ?month ?group"""),
)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def runner() -> QueryRunner:
    """The app's query runner; its worker processes start with the first query, not with the app."""
    settings = stores().settings.sparql
    return once_per_app("sparql_runner", lambda: QueryRunner(settings.workers, settings.per_client))


def _request_query() -> tuple[str, str]:
    """The query text and where it came from; an update request is refused here."""
    content_type = (request.mimetype or "").lower()
    if request.method == "POST":
        if content_type == "application/sparql-update" or "update" in request.form:
            raise SparqlError(403, "This endpoint is read-only: SPARQL Update is not accepted.", "read_only")
        if content_type == "application/sparql-query":
            return request.get_data(as_text=True), "body"
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return request.form.get("query", ""), "form"
        raise SparqlError(415, "POST the query as application/x-www-form-urlencoded (query=...) or as an "
                               "application/sparql-query body.", "bad_request")
    if "update" in request.args:
        raise SparqlError(403, "This endpoint is read-only: SPARQL Update is not accepted.", "read_only")
    return request.args.get("query", ""), "url"


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    if not accept.provided:
        return False
    best = accept.best_match([*HTML_TYPES, "application/sparql-results+json", "text/turtle"], default="")
    return best in HTML_TYPES and accept[best] >= accept["application/sparql-results+json"]


def explain(err: SparqlError) -> dict:
    """The reason in the interface language, for the query page; the engine's or parser's English words
    go along as `detail` (marked as English in the page), never in place of the explanation."""
    settings = stores().settings.sparql
    texts = {
        "syntax": lambda: _("The query is not valid SPARQL 1.1. Check keywords, prefixes, brackets and full "
                            "stops near the place the parser names below."),
        "federation": lambda: _("Federated queries (SERVICE) are not allowed on this endpoint."),
        "read_only": lambda: _("This endpoint only answers queries: SPARQL Update is not accepted."),
        "nesting": lambda: _("The query nests brackets deeper than this endpoint accepts."),
        "timeout": lambda: _("The query ran longer than this endpoint allows (%(seconds)s s) and was stopped. "
                             "Make it more selective, or use the data dumps.", seconds=settings.timeout),
        "too_many_rows": lambda: _("The query gives more than %(rows)s results, the most this endpoint returns "
                                   "at once. Add a LIMIT (and page with OFFSET), or use the data dumps.",
                                   rows=settings.max_rows),
        "busy": lambda: _("The endpoint is busy with other queries. Please try again shortly."),
        "too_large": lambda: _("The query is longer than this endpoint accepts."),
        "empty": lambda: _("Write a query in the box, or start from one of the examples."),
    }
    text = texts.get(err.kind)
    if text is None:
        return {"kind": err.kind, "text": _("The query could not be answered here."), "detail": err.message}
    return {"kind": err.kind, "text": text(), "detail": err.detail}


def _error(err: SparqlError, query: str = ""):
    if _wants_html():
        return _page(query, error=explain(err), status=err.status)
    response = make_response(err.message + "\n", err.status)
    response.mimetype = "text/plain"
    if err.status in (429, 503):
        response.headers["Retry-After"] = "5"
    return response


def _page(query: str = "", result: dict | None = None, error: dict | None = None, status: int = 200):
    settings = stores().settings
    html = render_template("sparql.html", query=query or EXAMPLES[0][2].strip(), result=result, error=error,
                           examples=[{"id": key, "title": title, "query": text.strip()}
                                     for key, title, text in EXAMPLES],
                           timeout=settings.sparql.timeout, max_rows=settings.sparql.max_rows)
    return make_response(html, status)      # Vary: Cookie (the language) and Accept, from portal.render


@bp.route("/sparql", methods=["GET", "POST"])
def sparql():
    negotiated()
    settings = stores().settings.sparql
    query = ""
    try:
        query, origin = _request_query()
        if not query and origin == "url" and (_wants_html() or not request.accept_mimetypes.provided):
            return _page()
        check_query(query, settings.max_query_bytes)
        source = request.args if origin != "form" else request.form
        default_graphs = graph_list(source.getlist("default-graph-uri"), "default-graph-uri")
        named_graphs = graph_list(source.getlist("named-graph-uri"), "named-graph-uri") or None
        html = _wants_html()
        answer = runner().run(
            stores().graph(), query, accept=None if html else request.accept_mimetypes,
            format_param="" if html else (source.get("format") or source.get("output") or "").lower(),
            default_graphs=default_graphs, named_graphs=named_graphs,
            timeout=settings.timeout, max_rows=settings.max_rows, client=request.remote_addr or "")
    except SparqlError as err:
        return _error(err, query)
    if html:
        return _page(query, result=_table(answer))
    response = make_response(answer.body, 200)
    response.headers["Content-Type"] = answer.media_type
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-store" if request.method == "POST" else "public, max-age=60"
    response.headers["X-Query-Seconds"] = f"{answer.seconds:.3f}"
    return response


def _table(answer) -> dict:
    """JSON results → header and rows for the HTML table (at most the configured number of rows)."""
    import json
    if answer.media_type.startswith("application/sparql-results+json"):
        data = json.loads(answer.body)
        if "boolean" in data:
            return {"boolean": data["boolean"], "seconds": answer.seconds}
        names = data["head"]["vars"]
        rows = [[b.get(n, {}) for n in names] for b in data["results"]["bindings"]]
        return {"vars": names, "rows": rows, "count": len(rows), "seconds": answer.seconds}
    return {"graph": answer.body.decode("utf-8", "replace"), "count": answer.rows, "seconds": answer.seconds}


__all__ = ["bp", "EXAMPLES", "write_solutions"]
