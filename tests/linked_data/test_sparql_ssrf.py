"""SSRF through SPARQL (issue 12, High), replayed against the real portal on a loopback port.

A second real HTTP server on loopback plays "another service inside the network": it records every request
it gets and answers like a SPARQL endpoint with a marker. Each attack must be refused before evaluation, the
recorder must never be contacted, and neither its answer nor a connection error may reach the client. The
worker processes must also be unable to open internet sockets at all, so a query that slipped past the
parse could still reach nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal import sparql_guard
from portal.sparql_eval import SparqlError, evaluate, negotiate

MARKER = "LEAKED-FROM-INSIDE"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


class Recorder:
    """A loopback SPARQL endpoint that remembers who called it."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                hits.append((self.command, self.path))
                body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
                    {"x": {"type": "literal", "value": MARKER}}]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


def attacks(target: str) -> dict[str, str]:
    ex = "PREFIX ex: <http://e/>\n"
    return {
        "replayed": ex + f"SELECT * WHERE {{ BIND(ex:a\\' AS ?q) SERVICE <{target}> {{ ?x ?y ?z }} FILTER(?q != '') }}",
        "lower-case": f"select * where {{ service <{target}> {{ ?x ?y ?z }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?x ?y ?z }} }}",
        "unicode-escape": f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?x ?y ?z }} }}",
        "escaped-string": "SELECT * WHERE { BIND('\\u0027' AS ?a) SERVICE <" + target + "> { ?x ?y ?z } }",
        "long-string": f"SELECT * WHERE {{ BIND('''it''s \\''' AS ?a) SERVICE <{target}> {{ ?x ?y ?z }} }}",
        "comment": f"SELECT * WHERE {{ # a comment with a quote '\n SERVICE <{target}> {{ ?x ?y ?z }} }}",
        "pname-escapes": ex + f"SELECT * WHERE {{ ?s ex:a\\#b\\'c ?o OPTIONAL {{ SERVICE <{target}> {{ ?x ?y ?z }} }} }}",
        "variable-endpoint": f"SELECT * WHERE {{ VALUES ?e {{ <{target}> }} SERVICE ?e {{ ?x ?y ?z }} }}",
        "union": f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{target}> {{ ?x ?y ?z }} }} }} LIMIT 1",
        "subquery": f"SELECT * WHERE {{ {{ SELECT ?x WHERE {{ SERVICE <{target}> {{ ?x ?y ?z }} }} }} }}",
        "exists": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{target}> {{ ?x ?y ?z }} }} }} LIMIT 1",
        "ask": f"ASK {{ SERVICE <{target}> {{ ?x ?y ?z }} }}",
        "construct": f"CONSTRUCT {{ ?x ?y ?z }} WHERE {{ SERVICE <{target}> {{ ?x ?y ?z }} }}",
        "describe": f"DESCRIBE ?x WHERE {{ SERVICE <{target}> {{ ?x ?y ?z }} }}",
        "relative-iri": f"BASE <{target.rsplit('/', 1)[0]}/>\nSELECT * WHERE {{ SERVICE <sparql> {{ ?x ?y ?z }} }}",
    }


def test_the_attack_is_real_without_the_guard(recorder):
    """Oxigraph itself does run SERVICE over HTTP: what the endpoint must keep from happening."""
    import pyoxigraph
    before = len(recorder.hits)
    rows = list(pyoxigraph.Store().query(attacks(recorder.url)["silent"]))
    assert len(recorder.hits) == before + 1 and rows and rows[0]["x"].value == MARKER


@pytest.mark.parametrize("name", sorted(attacks("http://x/")))
def test_federation_is_refused_and_nothing_is_contacted(server, recorder, name):
    query = attacks(recorder.url)[name]
    before = len(recorder.hits)
    status, _headers, body = server.get("/sparql?" + urllib.parse.urlencode({"query": query}), JSON_ACCEPT)
    assert status == 400, (name, status, body)
    assert b"SERVICE" in body
    assert MARKER.encode() not in body
    assert len(recorder.hits) == before, f"{name}: the endpoint contacted the recorder"


def test_federation_is_refused_in_a_post_body_too(server, recorder):
    import urllib.request
    query = attacks(recorder.url)["replayed"]
    req = urllib.request.Request(server.url + "/sparql", data=query.encode(), method="POST",
                                 headers={"Content-Type": "application/sparql-query", **JSON_ACCEPT})
    before = len(recorder.hits)
    try:
        urllib.request.urlopen(req, timeout=30)
        status = 200
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    assert status == 400 and MARKER.encode() not in body and len(recorder.hits) == before


def test_a_closed_port_tells_nothing(server):
    """Port scanning: the answer for a closed port is the same refusal, with no connection error in it."""
    bodies = set()
    for port in (1, 9, 65000):
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?x ?y ?z }} }}"
        status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": query}), JSON_ACCEPT)
        assert status == 400 and b"refused" not in body.lower() and b"os error" not in body.lower()
        bodies.add(body)
    assert len(bodies) == 1


@pytest.mark.parametrize("query", [
    "SELECT ?service WHERE { ?service ?p 'SERVICE' } LIMIT 1",
    "PREFIX ex: <http://e/>\nSELECT * WHERE { ?s ex:service ?o } LIMIT 1",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o = \"self-service\"@en-service) } LIMIT 1",
    "SELECT * WHERE { ?s <http://e/SERVICE> ?o } LIMIT 1",
    "# SERVICE <http://127.0.0.1/> in a comment\nASK { ?s ?p ?o }",
])
def test_the_word_service_elsewhere_is_no_federation(server, query):
    status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": query}), JSON_ACCEPT)
    assert status == 200, body


def test_updates_are_refused_from_the_parse(server):
    for update in ("DELETE WHERE { ?s ?p ?o }", "INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }",
                   "CLEAR ALL", "LOAD <http://127.0.0.1:1/x>"):
        status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": update}), JSON_ACCEPT)
        assert status == 403 and b"read-only" in body, update


def test_deep_nesting_is_refused_and_no_worker_dies(server):
    """4,000 nested groups once killed the worker evaluating them; now they are refused before any parse."""
    status, _h, _b = server.get("/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), JSON_ACCEPT)
    pool = server.app.extensions["grenselos"]["sparql_runner"].pool
    pids = pool.pids()
    deep = "SELECT * WHERE " + "{" * 4000 + " ?s ?p ?o " + "}" * 4000
    status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": deep}), JSON_ACCEPT)
    assert status == 400 and b"nests brackets" in body
    expression = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }"
    status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": expression}), JSON_ACCEPT)
    assert status == 400
    assert pool.pids() == pids
    fine = "ASK " + "{" * 20 + " ?s ?p ?o " + "}" * 20            # ordinary depth is answered
    status, _h, body = server.get("/sparql?" + urllib.parse.urlencode({"query": fine}), JSON_ACCEPT)
    assert status == 200 and json.loads(body)["boolean"] is True


def test_worker_processes_cannot_open_internet_sockets(server):
    server.get("/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), JSON_ACCEPT)
    pool = server.app.extensions["grenselos"]["sparql_runner"].pool
    assert pool.pids()
    for pid in pool.pids():
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Seccomp:\t2" in status, f"worker {pid} has no seccomp filter"


def _sandboxed_service_query(url, out):
    from portal import sandbox
    import pyoxigraph
    out.put(("sandboxed", sandbox.deny_network()))
    try:
        list(pyoxigraph.Store().query(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?x ?y ?z }} }}"))
        out.put(("query", "answered"))
    except OSError as exc:
        out.put(("query", type(exc).__name__))


def test_a_sandboxed_process_reaches_no_service_even_past_the_parse(recorder):
    ctx = multiprocessing.get_context("forkserver")
    out = ctx.Queue()
    before = len(recorder.hits)
    process = ctx.Process(target=_sandboxed_service_query, args=(recorder.url, out))
    process.start()
    results = dict(out.get(timeout=30) for _ in range(2))
    process.join(10)
    assert results == {"sandboxed": True, "query": "PermissionError"}
    assert len(recorder.hits) == before


def test_engine_errors_never_reach_the_client():
    class Failing:
        def query(self, *_args, **_kwargs):
            raise RuntimeError(f"error sending request for url (http://10.0.0.1/): {MARKER}")

    with pytest.raises(SparqlError) as info:
        evaluate(Failing(), "ASK { ?s ?p ?o }", negotiate(None), [], None, 5.0, 10)
    assert MARKER not in info.value.message and "10.0.0.1" not in info.value.message


def test_the_guard_fails_closed_on_what_it_cannot_parse():
    with pytest.raises(sparql_guard.QueryRefused) as info:
        sparql_guard.check("SELECT * WHERE { ?s ?p ")
    assert info.value.status == 400
    sparql_guard.check("SELECT * WHERE { ?s ?p ?o }")          # and a plain query passes


def test_every_example_on_the_query_page_passes_the_guard():
    from portal.views.sparql import EXAMPLES
    for _key, _title, query in EXAMPLES:
        sparql_guard.check(query)
