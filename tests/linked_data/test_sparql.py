"""The SPARQL endpoint against real clients (SPARQLWrapper, rdflib's SPARQLStore) on a loopback port."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

BF = "http://id.loc.gov/ontologies/bibframe/"
PREFIX = f"PREFIX bf: <{BF}>\n"
SAMI_BOOK = "http://data.grenselos.test/instance/kautokeino-kau-ill-sme-001"


def client(server, fmt=JSON):
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setReturnFormat(fmt)
    return sparql


def raw(server, path, data=None, headers=None, method=None):
    req = urllib.request.Request(server.url + path, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_select_json_finds_the_sami_books_held_in_finnmark(server):
    from portal.views.sparql import EXAMPLES
    sparql = client(server)
    sparql.setQuery(dict((k, q) for k, _t, q in EXAMPLES)["sami-finnmark"])
    result = sparql.queryAndConvert()
    instances = {b["instance"]["value"] for b in result["results"]["bindings"]}
    assert SAMI_BOOK in instances
    assert all(b["library"]["value"] == "Guovdageainnu girjerájus" for b in result["results"]["bindings"])


def test_translation_example_finds_a_sami_translation_of_a_norwegian_work(server):
    from portal.views.sparql import EXAMPLES
    sparql = client(server)
    sparql.setQuery(dict((k, q) for k, _t, q in EXAMPLES)["translations"])
    rows = sparql.queryAndConvert()["results"]["bindings"]
    assert rows and all(r["language"]["value"].endswith("/sme") for r in rows)


def test_select_xml_and_csv(server):
    query = PREFIX + "SELECT ?w WHERE { ?w a bf:Work ; bf:hasInstance ?i } ORDER BY ?w LIMIT 5"
    sparql = client(server, XML)
    sparql.setQuery(query)
    doc = sparql.queryAndConvert()                  # an xml.dom document
    assert len(doc.getElementsByTagName("result")) == 5
    sparql = client(server, CSV)
    sparql.setQuery(query)
    lines = sparql.queryAndConvert().decode().strip().splitlines()
    assert lines[0] == "w" and len(lines) == 6 and lines[1].startswith("http://data.grenselos.test/work/")


def test_ask_construct_describe(server):
    sparql = client(server)
    sparql.setQuery(PREFIX + f"ASK {{ <{SAMI_BOOK}> a bf:Instance }}")
    assert sparql.queryAndConvert()["boolean"] is True
    sparql.setQuery(PREFIX + "ASK { <http://nowhere.test/x> a bf:Instance }")
    assert sparql.queryAndConvert()["boolean"] is False

    sparql = client(server, TURTLE)
    sparql.setQuery(PREFIX + f"CONSTRUCT {{ <{SAMI_BOOK}> bf:instanceOf ?w }} WHERE {{ <{SAMI_BOOK}> bf:instanceOf ?w }}")
    text = sparql.queryAndConvert().decode()
    assert "kautokeino-kau-ill-sme-001" in text and "instanceOf" in text

    sparql = client(server, XML)
    sparql.setQuery(f"DESCRIBE <{SAMI_BOOK}>")
    graph = sparql.queryAndConvert()                # rdflib Graph parsed from RDF/XML
    from rdflib import URIRef
    assert (URIRef(SAMI_BOOK), URIRef(BF + "instanceOf"), None) in graph


def test_malformed_query_is_400_with_the_reason(server):
    sparql = client(server)
    sparql.setQuery("SELECT ?x WHERE { ?x ")
    with pytest.raises(QueryBadFormed) as info:
        sparql.queryAndConvert()
    assert "not valid SPARQL" in str(info.value)


def test_updates_federation_and_oversize_are_refused(server):
    status, _h, body = raw(server, "/sparql", data=b"INSERT DATA { <a:b> <a:c> <a:d> }",
                           headers={"Content-Type": "application/sparql-update"}, method="POST")
    assert status == 403 and b"read-only" in body
    sparql = client(server)
    sparql.setMethod(POST)
    sparql.setQuery("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryBadFormed) as info:
        sparql.queryAndConvert()
    assert "SERVICE" in str(info.value)
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 40000
    status, _h, body = raw(server, "/sparql", data=big.encode(),
                           headers={"Content-Type": "application/sparql-query"}, method="POST")
    assert status == 413


def test_post_body_form_and_dataset_parameters(server):
    query = PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    status, headers, body = raw(server, "/sparql", data=query.encode(), method="POST",
                                headers={"Content-Type": "application/sparql-query",
                                         "Accept": "application/sparql-results+json"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    import json
    everything = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    one_graph = "http://data.grenselos.test/graph/kautokeino-kau-ill-sme-001"
    form = urllib.parse.urlencode({"query": query, "default-graph-uri": one_graph}).encode()
    status, _h, body = raw(server, "/sparql", data=form, method="POST",
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "text/tab-separated-values"})
    assert status == 200
    lines = body.decode().strip().splitlines()
    assert lines[0] == "?n"
    only = int(lines[1].split('"')[1])
    assert 0 < only < everything


def test_row_limit_and_time_limit_answer_clearly_and_server_stays_responsive(server):
    sparql = client(server)
    sparql.setQuery("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")          # far more than max_rows = 500
    with pytest.raises(QueryBadFormed) as info:
        sparql.queryAndConvert()
    assert "more than 500 results" in str(info.value)

    # 10^8 solutions: seconds of work for Oxigraph, past the 2 s limit; its worker process is killed then
    # (test_sparql_workers.py checks that the process is really gone).
    numbers = " ".join(str(i) for i in range(100))
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(f"VALUES ?v{i} {{ {numbers} }}" for i in range(4)) + " }"
    outcome = {}

    def slow():
        started = time.monotonic()
        outcome["status"], _h, outcome["body"] = raw(server, "/sparql?" + urllib.parse.urlencode({"query": runaway}),
                                                     headers={"Accept": "application/sparql-results+json"})
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    ask = "/sparql?" + urllib.parse.urlencode({"query": f"ASK {{ <{SAMI_BOOK}> ?p ?o }}"})
    status, _h, body = server.get(ask, {"Accept": "application/sparql-results+json"}, source="127.0.0.2")
    assert status == 200 and b"true" in body
    assert time.monotonic() - started < 1.5          # another client is answered while the runaway runs
    # The runaway's own client has used its share of the workers ([sparql] per_client = 1): told so at once.
    status, headers, body = raw(server, ask, headers={"Accept": "application/sparql-results+json"})
    assert status == 429 and headers.get("Retry-After") and b"as many SPARQL queries running" in body
    thread.join(30)
    assert outcome["status"] == 503 and b"longer than this endpoint allows" in outcome["body"]
    assert outcome["seconds"] < 5                    # the 2 s limit, not the query's own time


def test_html_page_has_examples_and_renders_results_without_inline_script(server):
    status, headers, body = raw(server, "/sparql", headers={"Accept": "text/html"})
    html = body.decode()
    assert status == 200 and "addressRegion" in html and "<script>" not in html
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    query = urllib.parse.urlencode({"query": PREFIX + f"SELECT ?t WHERE {{ <{SAMI_BOOK}> bf:title/bf:mainTitle ?t }}"})
    status, _h, body = raw(server, "/sparql?" + query, headers={"Accept": "text/html,*/*;q=0.8"})
    assert status == 200 and 'class="sparql-results"' in body.decode() and "Čáhppes beana" in body.decode()


def test_rdflib_sparqlstore(server):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    graph = Graph(store=SPARQLStore(server.url + "/sparql", returnFormat="xml"))
    rows = list(graph.query(PREFIX + f"SELECT DISTINCT ?w WHERE {{ <{SAMI_BOOK}> bf:instanceOf ?w }}"))
    assert len(rows) == 1 and str(rows[0][0]).startswith("http://data.grenselos.test/work/")
    assert (URIRef(SAMI_BOOK), URIRef(BF + "instanceOf"), rows[0][0]) in graph
