"""Evaluating one SPARQL query under the endpoint's limits, and writing its answer.

Shared by the request thread's runner (`portal.sparql_service`) and the worker processes that evaluate
queries over the on-disk store (`portal.sparql_workers`), so that neither imports the other's module:
the refusal of what must not run (`portal.sparql_guard`), the media types chosen before evaluation, the
row and time limits while rows are pulled, fixed error messages (an engine's error text stays in the
log), and result writers that stop at the row limit (Oxigraph's own serialisers would consume the
whole iterator).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode, QueryBoolean, QuerySolutions, RdfFormat

from portal import sparql_guard

log = logging.getLogger(__name__)

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

SOLUTION_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
BOOLEAN_TYPES = {k: v for k, v in SOLUTION_TYPES.items() if v in ("json", "xml")}
GRAPH_TYPES = {
    "text/turtle": RdfFormat.TURTLE, "application/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD, "application/rdf+xml": RdfFormat.RDF_XML,
    "application/xml": RdfFormat.RDF_XML,
}
#: What the non-standard `format`/`output` parameter (Virtuoso, Fuseki; SPARQLWrapper sends it) may say.
FORMAT_PARAM = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                "csv": "text/csv", "tsv": "text/tab-separated-values", "turtle": "text/turtle",
                "ttl": "text/turtle", "n3": "text/turtle", "nt": "application/n-triples",
                "json-ld": "application/ld+json", "jsonld": "application/ld+json",
                "rdf+xml": "application/rdf+xml", "rdf": "application/rdf+xml"}
GRAPH_FORMAT_PARAM = {"json": "application/ld+json", "xml": "application/rdf+xml"}

class SparqlError(Exception):
    """A query the endpoint will not answer; `status` is the HTTP status, the message says why.

    `message` is the English text programs get; `kind` names the reason (one of `KINDS`), so the query
    page can explain it in the interface language; `detail` is the parser's own words, shown beside that
    explanation, never instead of it.
    """

    def __init__(self, status: int, message: str, kind: str = "failed", detail: str = ""):
        super().__init__(message)
        self.status, self.message, self.kind, self.detail = status, message, kind, detail

    def parts(self) -> tuple[int, str, str, str]:
        """What crosses the pipe from a worker process: plain values that rebuild the error."""
        return self.status, self.message, self.kind, self.detail


#: Why a query was not answered: `portal.views.sparql` has an explanation for each in every interface language.
KINDS = ("syntax", "federation", "read_only", "nesting", "timeout", "too_many_rows", "busy", "too_large", "empty",
         "bad_request", "failed")


@dataclass
class Answer:
    body: bytes
    media_type: str
    rows: int
    seconds: float


def guard(text: str) -> None:
    """Refuse updates, federation and anything that does not parse, from the parsed query (see
    `portal.sparql_guard`); called where the query is evaluated, right before Oxigraph sees it."""
    try:
        sparql_guard.check(text)
    except sparql_guard.QueryRefused as refused:
        message = refused.message + (f" ({refused.detail})" if refused.detail else "")
        raise SparqlError(refused.status, message, refused.kind, refused.detail) from None


MEDIA_DEFAULTS = {"boolean": "application/sparql-results+json", "solutions": "application/sparql-results+json",
                  "graph": "text/turtle"}


def negotiate(accept, format_param: str = "") -> dict[str, str]:
    """The media type for each kind of result (boolean, solutions, graph), chosen before evaluation.

    Which kind a query gives is known only once it runs, and the request's Accept cannot travel to a
    worker process, so all three choices are made here and sent along as plain strings.
    """
    return {"boolean": choose(accept, format_param, BOOLEAN_TYPES, MEDIA_DEFAULTS["boolean"]),
            "solutions": choose(accept, format_param, SOLUTION_TYPES, MEDIA_DEFAULTS["solutions"]),
            "graph": choose(accept, format_param, GRAPH_TYPES, MEDIA_DEFAULTS["graph"], GRAPH_FORMAT_PARAM)}


BUSY_MESSAGE = "The SPARQL endpoint is busy with other queries; please try again shortly."
def timeout_message(timeout: float) -> str:
    return (f"The query ran longer than this endpoint allows ({timeout:g} s) and was stopped. "
            "Make it more selective, or use the data dumps for whole-dataset work.")


def evaluate(graph, query: str, media: dict[str, str], default_graphs: list[str], named_graphs: list[str] | None,
             timeout: float, max_rows: int, cancelled: threading.Event | None = None) -> Answer:
    """Run one query and write its finished answer; stops pulling rows at the deadline or the row limit.

    `media` is `negotiate()`'s choice; graph names are IRI strings. Runs in a worker process (or thread),
    so everything it takes and gives is plain data.
    """
    deadline = time.monotonic() + timeout
    kwargs = {}
    if default_graphs:
        kwargs["default_graph"] = [NamedNode(g) for g in default_graphs]
        kwargs["use_default_graph_as_union"] = False
    if named_graphs:
        kwargs["named_graphs"] = [NamedNode(g) for g in named_graphs]
    guard(query)
    try:
        result = graph.query(query, **kwargs)
    except SyntaxError as exc:
        raise SparqlError(400, f"The query is not valid SPARQL 1.1: {exc}", "syntax", " ".join(str(exc).split())[:300]) from None
    except OSError as exc:
        raise _failed(exc, 500, STORE_MESSAGE) from None
    except (ValueError, TypeError, RuntimeError) as exc:
        raise _failed(exc, 400, EVALUATION_MESSAGE) from None

    def pull(items):
        out = []
        for item in items:
            if (cancelled is not None and cancelled.is_set()) or time.monotonic() > deadline:
                raise SparqlError(503, timeout_message(timeout), "timeout")
            if len(out) >= max_rows:
                raise SparqlError(400, f"The query gives more than {max_rows} results, the most this endpoint "
                                       f"returns at once. Add LIMIT {max_rows} (and page with OFFSET), or use "
                                       "the data dumps.", "too_many_rows")
            out.append(item)
        return out

    try:
        if isinstance(result, QueryBoolean):
            chosen = media["boolean"]
            return Answer(write_boolean(bool(result), BOOLEAN_TYPES[chosen]), _with_charset(chosen), 1, 0)
        if isinstance(result, QuerySolutions):
            names = sparql_guard.projection_order(query, [v.value for v in result.variables])
            rows = pull(result)
            chosen = media["solutions"]
            body = write_solutions(names, rows, SOLUTION_TYPES[chosen])
            return Answer(body, _with_charset(chosen), len(rows), 0)
        triples = pull(result)
        fmt = GRAPH_TYPES[media["graph"]]
        from transform.serialize import _PREFIXES
        if fmt is RdfFormat.N_TRIPLES:
            body = pyoxigraph.serialize(triples, format=fmt)
        else:
            body = pyoxigraph.serialize(triples, format=fmt, prefixes=_PREFIXES)
        return Answer(body or b"", _with_charset(fmt.media_type), len(triples), 0)
    except OSError as exc:
        raise _failed(exc, 500, STORE_MESSAGE) from None
    except SparqlError:
        raise
    except (ValueError, TypeError, RuntimeError) as exc:
        raise _failed(exc, 400, EVALUATION_MESSAGE) from None


STORE_MESSAGE = "The store could not answer this query."
EVALUATION_MESSAGE = "The query failed during evaluation."


def _failed(exc: BaseException, status: int, message: str) -> SparqlError:
    """A fixed message for the client, the engine's text only in the log: an error's text may quote
    something the client must not see (a path, another service's answer)."""
    log.warning("SPARQL evaluation failed: %s: %s", type(exc).__name__, ascii(str(exc))[:500])
    return SparqlError(status, message)


def _with_charset(media: str) -> str:
    return media if media in ("application/ld+json", "application/sparql-results+json") \
        else f"{media}; charset=utf-8"


def choose(accept, format_param: str, offers: dict, default: str, param_overrides: dict | None = None) -> str:
    """Accept decides when it names something we offer; else `format`/`output`; else the default."""
    if accept is not None and accept.provided:
        best = accept.best_match(list(offers), default=None)
        if best is not None and accept[best] > 0 and not _only_wildcards(accept):
            return best
    if format_param:
        wanted = (param_overrides or {}).get(format_param) or FORMAT_PARAM.get(format_param, format_param)
        if wanted in offers:
            return wanted
    return default


def _only_wildcards(accept) -> bool:
    return all(value in ("*/*", "*") for value, _q in accept)


# -- result writers --------------------------------------------------------------------------------

def _term_json(term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype and term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}   # an RDF-star triple term: its N-Triples form


def _term_xml(term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        attrs = ""
        if term.language:
            attrs = f" xml:lang={quoteattr(term.language)}"
        elif term.datatype and term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            attrs = f" datatype={quoteattr(term.datatype.value)}"
        return f"<literal{attrs}>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def write_solutions(names: list[str], rows: list, fmt: str) -> bytes:
    if fmt == "json":
        bindings = [{n: _term_json(row[n]) for n in names if row[n] is not None} for row in rows]
        return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>", *(f"<variable name={quoteattr(n)}/>" for n in names), "</head><results>"]
        for row in rows:
            out.append("<result>")
            out += [f"<binding name={quoteattr(n)}>{_term_xml(row[n])}</binding>" for n in names
                    if row[n] is not None]
            out.append("</result>")
        out.append("</results></sparql>")
        return "\n".join(out).encode("utf-8")
    buffer = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(["" if row[n] is None else (f"_:{row[n].value}" if isinstance(row[n], BlankNode)
                                                         else row[n].value if hasattr(row[n], "value")
                                                         else str(row[n])) for n in names])
        return buffer.getvalue().encode("utf-8")
    buffer.write("\t".join(f"?{n}" for n in names) + "\n")          # TSV: terms in their N-Triples form
    for row in rows:
        buffer.write("\t".join("" if row[n] is None else str(row[n]).replace("\t", "\\t") for n in names) + "\n")
    return buffer.getvalue().encode("utf-8")


def write_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>").encode("utf-8")
    return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
