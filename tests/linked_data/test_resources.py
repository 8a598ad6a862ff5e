"""Dereferencing URIs: HTML by default, RDF by Accept or suffix, caching headers, 303/404/410."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

BF = "http://id.loc.gov/ontologies/bibframe/"
INSTANCE = "/instance/kautokeino-kau-ill-sme-001"
URI = "http://data.grenselos.test" + INSTANCE


@pytest.fixture(scope="module")
def web(server):
    return server.app.test_client()


@pytest.mark.parametrize("accept,fmt,rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-triples", "application/n-triples", "nt"),
])
def test_instance_in_every_rdf_format_by_accept(web, accept, fmt, rdflib_format):
    response = web.get(INSTANCE, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(fmt)
    assert response.headers["Vary"] == "Accept"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    graph = Graph().parse(data=response.data, format=rdflib_format)
    assert (URIRef(URI), URIRef(BF + "instanceOf"), None) in graph
    items = list(graph.objects(URIRef(URI), URIRef(BF + "hasItem")))
    assert items and all((i, URIRef(BF + "heldBy"), None) in graph for i in items)


@pytest.mark.parametrize("suffix,fmt", [(".ttl", "text/turtle"), (".jsonld", "application/ld+json"),
                                        (".rdf", "application/rdf+xml"), (".nt", "application/n-triples")])
def test_suffix_wins_over_accept(web, suffix, fmt):
    response = web.get(INSTANCE + suffix, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(fmt)


def test_jsonld_is_compact_with_the_published_context(web):
    response = web.get(INSTANCE + ".jsonld")
    doc = json.loads(response.data)
    context = json.loads(web.get("/context.jsonld").data)["@context"]
    assert doc["@context"] == context and context["bf"] == BF
    node = next(n for n in doc["@graph"] if n["@id"] == URI)
    assert "bf:Instance" in node["@type"] and "bf:instanceOf" in node
    assert "/context.jsonld" in response.headers["Link"]


def test_browser_gets_html_by_303_to_the_record_page(web):
    response = web.get(INSTANCE, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/record/kautokeino-kau-ill-sme-001")
    assert web.get(INSTANCE).status_code == 303          # no Accept at all: HTML too


def test_conditional_requests_get_304(web):
    first = web.get(INSTANCE, headers={"Accept": "text/turtle"})
    again = web.get(INSTANCE, headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    since = web.get(INSTANCE, headers={"Accept": "text/turtle", "If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    other = web.get(INSTANCE, headers={"Accept": "application/n-triples", "If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200                       # the ETag is per representation


def test_work_library_agent_and_item(web):
    work = web.get("/work/kautokeino-kau-ill-sme-001", headers={"Accept": "text/turtle"})
    assert work.status_code == 200 and b"hasInstance" in work.data
    library = web.get("/library/NO-1990002.ttl")
    assert library.status_code == 200 and b"Finnmark" in library.data and b"Guovdageainnu girjer" in library.data
    agents = Graph().parse(data=web.get(INSTANCE + ".nt").data, format="nt").objects(None, URIRef(BF + "agent"))
    agent_uri = next(a for a in agents if "/agent/person/" in str(a))
    agent = web.get(str(agent_uri).replace("http://data.grenselos.test", ""), headers={"Accept": "text/turtle"})
    assert agent.status_code == 200 and b"Person" in agent.data
    page = web.get(str(agent_uri).replace("http://data.grenselos.test", ""), headers={"Accept": "text/html"})
    assert page.status_code == 200 and b'rel="alternate"' in page.data
    item = web.get(INSTANCE + "/item/1.ttl")
    assert item.status_code == 200 and b"heldBy" in item.data


def test_unknown_is_404(web):
    assert web.get("/instance/tromso-no-such-record", headers={"Accept": "text/turtle"}).status_code == 404
    assert web.get("/work/no-such-work.ttl").status_code == 404
    assert web.get("/agent/person/nobody-at-all", headers={"Accept": "text/html"}).status_code == 404
