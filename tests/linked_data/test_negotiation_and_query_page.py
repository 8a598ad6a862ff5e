"""Caches and national services: every content-negotiated URL says `Vary: Accept`, whatever the answer;
the SPARQL page explains a refusal in the interface language; `SELECT *` keeps the query's order."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

import pytest
from rdflib import Graph, URIRef

BF = "http://id.loc.gov/ontologies/bibframe/"
INSTANCE = "/instance/kautokeino-kau-ill-sme-001"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def web(server):
    return server.app.test_client()


@pytest.fixture(scope="module")
def agent_path(web):
    agents = Graph().parse(data=web.get(INSTANCE + ".nt").data, format="nt").objects(None, URIRef(BF + "agent"))
    return str(next(a for a in agents if "/agent/" in str(a))).replace("http://data.grenselos.test", "")


def _negotiated_urls(agent: str) -> list[str]:
    return ["/work/kautokeino-kau-ill-sme-001", "/work/no-such-work", "/library/NO-1990002", "/library/NO-0000000",
            INSTANCE, "/instance/tromso-no-such-record", agent, "/agent/person/nobody-at-all",
            "/sparql", "/sparql?" + urlencode({"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"}),
            "/sparql?" + urlencode({"query": "SELECT ?s WHERE { ?s"}),
            "/.well-known/void", "/changes", "/vocab/languages", "/vocab/languages/sme", "/vocab/languages/xx-none"]


@pytest.mark.parametrize("accept", [HTML, "text/turtle", "application/sparql-results+json", "*/*", None])
def test_every_negotiated_url_varies_on_accept(web, agent_path, accept):
    """Whatever the answer (HTML, RDF, a redirect, a 404), a cache must not give it to a client that asked
    for another type; and an HTML answer keeps `Vary: Cookie` for the language and library cookies."""
    headers = {"Accept": accept} if accept else {}
    missing = {}
    for url in _negotiated_urls(agent_path):
        response = web.get(url, headers=headers)
        vary = {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}
        if "accept" not in vary or (response.mimetype == "text/html" and not response.location and "cookie" not in vary):
            missing[url] = (response.status_code, response.headers.get("Vary"))
    assert missing == {}


def test_the_html_work_page_varies_on_accept_as_its_turtle_does(web):
    page = web.get("/work/kautokeino-kau-ill-sme-001", headers={"Accept": HTML})
    turtle = web.get("/work/kautokeino-kau-ill-sme-001", headers={"Accept": "text/turtle"})
    assert page.mimetype == "text/html" and turtle.mimetype == "text/turtle"
    for response in (page, turtle):
        assert "Accept" in response.headers["Vary"]


def test_pages_that_are_not_negotiated_do_not_claim_to_be(web):
    response = web.get("/libraries", headers={"Accept": HTML})
    assert response.headers["Vary"] == "Cookie"


STAR = "SELECT * WHERE { ?s ?p ?o } LIMIT 3"


@pytest.mark.parametrize("accept,read", [
    ("text/csv", lambda body: next(csv.reader(io.StringIO(body.decode())))),
    ("application/sparql-results+json", lambda body: json.loads(body)["head"]["vars"]),
    ("text/tab-separated-values", lambda body: [v.lstrip("?") for v in body.decode().splitlines()[0].split("\t")]),
    ("application/sparql-results+xml", lambda body: re.findall(r'<variable name="([^"]+)"', body.decode())),
])
def test_select_star_keeps_the_query_s_variable_order(web, accept, read):
    response = web.get("/sparql?" + urlencode({"query": STAR}), headers={"Accept": accept})
    assert response.status_code == 200
    assert read(response.data) == ["s", "p", "o"]


def test_select_star_order_is_the_order_of_first_appearance(web):
    query = ("SELECT DISTINCT * WHERE { ?work <http://id.loc.gov/ontologies/bibframe/hasInstance> ?instance . "
             "OPTIONAL { ?instance <http://id.loc.gov/ontologies/bibframe/title> ?title } } LIMIT 2")
    response = web.get("/sparql?" + urlencode({"query": query}), headers={"Accept": "text/csv"})
    assert next(csv.reader(io.StringIO(response.data.decode()))) == ["work", "instance", "title"]
    named = "SELECT ?o ?s WHERE { ?s ?p ?o } LIMIT 1"          # an explicit projection is kept as written
    response = web.get("/sparql?" + urlencode({"query": named}), headers={"Accept": "text/csv"})
    assert next(csv.reader(io.StringIO(response.data.decode()))) == ["o", "s"]


def test_select_star_in_the_html_table_and_its_caption(web):
    response = web.get("/sparql?" + urlencode({"query": STAR, "lang": "en"}), headers={"Accept": HTML})
    html = response.data.decode()
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", html).group(1)
    assert re.findall(r"\?(\w+)</th>", head) == ["s", "p", "o"]
    assert re.search(r"<caption>Query results: 3 rows</caption>", html)
    assert re.search(r'<div class="table-scroll" role="region" tabindex="0" aria-label="Query results">', html)


@pytest.mark.parametrize("lang,explained", [
    ("nb", "Spørringen er ikke gyldig SPARQL 1.1."),
    ("nn", "Spørjinga er ikkje gyldig SPARQL 1.1."),
    ("se", "Jearaldat ii leat gustovaš SPARQL 1.1."),
    ("en", "The query is not valid SPARQL 1.1."),
])
def test_a_syntax_error_is_explained_in_the_interface_language(web, lang, explained):
    response = web.get("/sparql?" + urlencode({"query": "SELECT ?s WHERE { ?s ?p }", "lang": lang}),
                       headers={"Accept": HTML})
    html = response.data.decode()
    assert response.status_code == 400
    box = re.search(r'<div class="error-box" role="alert" id="query-error">(.*?)</div>', html, re.S).group(1)
    assert explained in box
    # The parser's own words are kept, as detail marked as English, never as the explanation itself.
    detail = re.search(r'<details><summary>[^<]+</summary><p lang="en"><code>(.+?)</code></p></details>', box)
    assert detail and "Expected" in detail.group(1)
    assert "Expected" not in box.split("<details>")[0]
    assert 'aria-describedby="query-error"' in html


def test_programs_still_get_the_parser_s_words_in_plain_text(web):
    response = web.get("/sparql?" + urlencode({"query": "SELECT ?s WHERE { ?s ?p }"}),
                       headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "not valid SPARQL 1.1" in response.data.decode() and "Expected" in response.data.decode()


def test_other_refusals_are_explained_too(web):
    federated = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = web.get("/sparql?" + urlencode({"query": federated, "lang": "nn"}), headers={"Accept": HTML})
    assert response.status_code == 400 and "Føderte spørjingar (SERVICE) er ikkje tillatne her." in response.data.decode()


def test_the_query_box_has_no_fixed_width_and_its_label_comes_first(web):
    html = web.get("/sparql?lang=en", headers={"Accept": HTML}).data.decode()
    form = re.search(r'<form class="sparql-form".*?</form>', html, re.S).group(0)
    assert "cols=" not in form
    assert form.index('<label for="sparql-query">') < form.index('<textarea id="sparql-query"')
