"""Licences travel with records: a vendor's records (licensed for the libraries' own use) serve search and
the record pages but leave through no publication path — SPARQL, OAI-PMH, dumps, the RDF of the record,
VoID counts, the change feed, the lists graph — while an open (CC0) source's records do."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest
from rdflib import Graph, Namespace, URIRef

from core import settings as settings_mod
from harvest.marcdata import to_slim
from harvest.store import IncomingRecord, RecordStore
from tests import deliveries
from tests.linked_data.conftest import Server

BASE = "http://data.grenselos.test"
VOID = Namespace("http://rdfs.org/ns/void#")
DCT = Namespace("http://purl.org/dc/terms/")
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
VENDOR_TITLE = "Leverandørens hemmelige bok"
OPEN_TITLE = "Den åpne boka"


def settings_for(data_dir, vendor_licence="vendor-local-use"):
    return settings_mod.from_dict({
        "data_dir": str(data_dir), "base_uri": BASE,
        "sources": [
            {"id": "open", "name": "Åpne bibliotek", "isil": "NO-1990001", "municipality": "Tromsø"},
            {"id": "bs", "name": "Biblioteksentralen", "isil": "NO-1990003", "municipality": "Tromsø",
             "licence": vendor_licence},
        ]})


def incoming(prefix: str, title: str, n: int) -> list[IncomingRecord]:
    out = []
    for i in range(n):
        record = deliveries.book(f"{prefix}{i}", deliveries.isbn13(f"97882{prefix == 'bs':d}{i:06d}"[:12]),
                                 f"{title} {i}", "Forfatter, Frida", copies=[(f"{prefix}-bc{i}", "839.8")])
        out.append(IncomingRecord(identifier=f"oai:{prefix}:{i}", control_number=f"{prefix}{i}",
                                  marcxml=to_slim(record),
                                  datestamp="2026-01-01"))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from index.pipeline import index_changes
    from transform.dumps import write_dumps
    from transform.pipeline import run_transform
    settings = settings_for(tmp_path_factory.mktemp("licences"))
    store = RecordStore(settings.database_url)
    store.upsert("open", incoming("open", OPEN_TITLE, 3))
    store.upsert("bs", incoming("bs", VENDOR_TITLE, 2))
    run_transform(settings, store, progress=False)
    index_changes(settings, store, full=True)
    write_dumps(settings)
    with Server(settings) as srv:
        yield settings, store, srv
    store.close()


def test_settings_refuse_an_unknown_licence(tmp_path):
    from transform.setting_values import from_dict
    with pytest.raises(Exception, match="licence"):
        from_dict({"data_dir": str(tmp_path), "sources": [{"id": "x", "name": "X", "licence": "CC-ZERO"}]})
    from vocab import licences
    settings = settings_for(tmp_path)
    assert licences.publishable(settings, "open") and not licences.publishable(settings, "bs")
    assert not licences.publishable(settings, "gone")          # a source no longer configured
    assert licences.record_publishable(settings, "open-0") and not licences.record_publishable(settings, "bs-0")


def test_sparql_sees_only_the_open_records(built):
    _settings, _store, srv = built
    query = "SELECT ?t WHERE { ?s <http://id.loc.gov/ontologies/bibframe/mainTitle> ?t }"
    status, _h, body = srv.get("/sparql?query=" + quote(query),
                               {"Accept": "application/sparql-results+json"})
    assert status == 200
    titles = [b["t"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert any(t.startswith(OPEN_TITLE) for t in titles)
    assert not any(VENDOR_TITLE in t for t in titles)
    # nor is a vendor instance named as a member of a work
    query = f"ASK {{ ?w <http://id.loc.gov/ontologies/bibframe/hasInstance> <{BASE}/instance/bs-0> }}"
    status, _h, body = srv.get("/sparql?query=" + quote(query),
                               {"Accept": "application/sparql-results+json"})
    assert json.loads(body)["boolean"] is False
    # and a work whose only records are the vendor's has no graph at all
    query = 'ASK { ?w a <http://id.loc.gov/ontologies/bibframe/Work> FILTER(CONTAINS(STR(?w), "/work/bs-")) }'
    status, _h, body = srv.get("/sparql?query=" + quote(query),
                               {"Accept": "application/sparql-results+json"})
    assert json.loads(body)["boolean"] is False
    query = 'ASK { ?w a <http://id.loc.gov/ontologies/bibframe/Work> FILTER(CONTAINS(STR(?w), "/work/open-")) }'
    status, _h, body = srv.get("/sparql?query=" + quote(query),
                               {"Accept": "application/sparql-results+json"})
    assert json.loads(body)["boolean"] is True


def test_oai_serves_only_the_open_records(built):
    _settings, _store, srv = built
    status, _h, body = srv.get("/oai?verb=ListRecords&metadataPrefix=marc21")
    text = body.decode("utf-8")
    assert status == 200 and OPEN_TITLE in text and VENDOR_TITLE not in text
    assert "NO-1990003" not in text
    status, _h, body = srv.get("/oai?verb=GetRecord&metadataPrefix=marc21&identifier=oai:data.grenselos.test:NO-1990003:0")
    assert b'code="idDoesNotExist"' in body and VENDOR_TITLE.encode() not in body
    status, _h, body = srv.get("/oai?verb=GetRecord&metadataPrefix=marc21&identifier=oai:data.grenselos.test:NO-1990001:0")
    assert OPEN_TITLE.encode() in body
    status, _h, body = srv.get("/oai?verb=ListSets")
    assert b"library:bs" not in body and b"library:open" in body


def test_dumps_and_void_hold_only_the_open_records(built):
    settings, _store, srv = built
    from transform.dumps import dumps_dir
    whole = gzip.decompress((dumps_dir(settings) / "all.nt.gz").read_bytes()).decode("utf-8")
    assert OPEN_TITLE in whole and VENDOR_TITLE not in whole and "/instance/bs-" not in whole
    assert not (dumps_dir(settings) / "bs.nt.gz").exists() and (dumps_dir(settings) / "open.nt.gz").exists()
    status, _h, body = srv.get("/.well-known/void", {"Accept": "text/turtle"})
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    subsets = {str(s) for s in graph.objects(URIRef(f"{BASE}/dataset"), VOID.subset)}
    assert f"{BASE}/dataset/open" in subsets and f"{BASE}/dataset/bs" not in subsets
    assert (URIRef(f"{BASE}/dataset/open"), DCT.license, CC0) in graph
    assert (URIRef(f"{BASE}/dataset"), DCT.license, CC0) in graph
    status, _h, dump = srv.get("/dumps/bs.nt.gz")
    assert status == 404


def test_void_states_each_published_source_licence(tmp_path):
    from portal.views.void import description
    settings = settings_mod.from_dict({"data_dir": str(tmp_path), "base_uri": BASE, "sources": [
        {"id": "open", "name": "Open"}, {"id": "by", "name": "By", "licence": "CC-BY-4.0"},
        {"id": "bs", "name": "BS", "licence": "vendor-local-use"}]})
    entry = {"name": "x.nt.gz", "triples": 1, "bytes": 1, "generated": "2026-01-01T00:00:00+00:00", "sha256": "0"}
    triples = description(settings, 10, {"by": entry, "bs": entry, "all": entry})
    licences_of = {(t.subject.value, t.object.value) for t in triples if t.predicate.value == str(DCT.license)}
    assert (f"{BASE}/dataset/by", "https://creativecommons.org/licenses/by/4.0/") in licences_of
    assert (f"{BASE}/dataset", "https://creativecommons.org/licenses/by/4.0/") in licences_of
    assert not any(s == f"{BASE}/dataset/bs" for s, _o in licences_of)
    assert not any(o == "urn:grenselos:licence:vendor-local-use" for _s, o in licences_of)


def test_rdf_of_a_vendor_record_is_refused_with_the_reason(built):
    _settings, _store, srv = built
    status, _h, body = srv.get("/instance/bs-0", {"Accept": "text/turtle"})
    assert status == 403 and b"republication" in body and VENDOR_TITLE.encode() not in body
    status, _h, body = srv.get("/instance/bs-0.ttl")
    assert status == 403
    status, _h, body = srv.get("/instance/open-0", {"Accept": "text/turtle"})
    assert status == 200 and OPEN_TITLE.encode() in body


def test_vendor_records_still_serve_search_and_record_pages(built):
    _settings, _store, srv = built
    web = srv.app.test_client()
    found = web.get("/search.json?q=hemmelige")
    assert found.status_code == 200 and "bs-0" in found.get_data(as_text=True)
    page = web.get("/record/bs-0.json")
    assert page.status_code == 200
    data = page.get_json()
    assert data["licence"]["id"] == "vendor-local-use" and data["licence"]["published"] is False
    assert web.get("/record/open-0.json").get_json()["licence"]["published"] is True
    html = web.get("/record/bs-0").get_data(as_text=True)          # nb, the default interface language
    assert "kun til bibliotekenes eget bruk" in html
    # an HTML request for the instance goes to the record page, not a 404
    assert web.get("/instance/bs-0", headers={"Accept": "text/html"}).status_code == 303


def test_change_feed_and_lists_graph_leave_vendor_records_out(built):
    settings, _store, srv = built
    web = srv.app.test_client()
    feed = web.get("/changes").get_json()
    objects = []
    url = feed["first"]["id"]
    while url:
        page = web.get(url.replace(BASE, "")).get_json()
        objects += [a["object"]["id"] for a in page["orderedItems"]]
        url = page.get("next")
    assert len(objects) == feed["totalItems"]
    assert f"{BASE}/instance/open-0" in objects and not any("/instance/bs-" in o for o in objects)

    from lists.graph import list_triples
    from lists.model import CuratedList, Item
    curated = CuratedList(id=7, languages=("nb",), titles={"nb": "Liste"}, blurbs={}, owners=(),
                          items=(Item("bs-0", 1, {}), Item("open-1", 2, {})))
    triples = list_triples(settings, curated)
    items = {t.object.value for t in triples if t.predicate.value == "https://schema.org/item"}
    assert items == {f"{BASE}/instance/open-1"}


def test_consistency_drops_graphs_left_from_before_the_licence(tmp_path):
    """A source that was open and is declared vendor-licensed later: its graphs are extra, and go."""
    from transform import consistency
    from transform.graphstore import GraphStore
    from transform.pipeline import run_transform
    before = settings_for(tmp_path / "d", vendor_licence="CC0-1.0")
    store = RecordStore(before.database_url)
    try:
        store.upsert("bs", incoming("bs", VENDOR_TITLE, 2))
        run_transform(before, store, progress=False)
        after = settings_for(tmp_path / "d")
        with GraphStore.open(after) as graph:
            found = consistency.difference(store.engine, graph, after)
            assert len(found.extra) == 2 and not found.missing
            consistency.repair(store.engine, graph, found)
            assert consistency.difference(store.engine, graph, after).agrees
            assert not graph.record_triples("bs", "0")
    finally:
        store.close()
