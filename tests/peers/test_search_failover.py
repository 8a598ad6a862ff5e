"""Replays "losing one SolrCloud node loses search, and a shard down answers 500": the demo's catalogue
in the test SolrCloud (ZooKeeper and two nodes, each its own process), the portal configured with both
nodes (`solr_url` + `solr_urls`), and one node ended with SIGKILL while searching and while indexing.

- A collection with a replica of every shard on both nodes loses nothing: searches fail over and
  answer in full. A collection with one replica per shard loses a shard: searches are flagged partial
  or answered 503, record pages come from the record store, /healthz says degraded; never a 500.
- Indexing while a node is down waits (`retry_seconds`) or fails leaving its changes pending; once the
  node is back (same port, same data) the next run completes, and the index equals the truth: the same
  documents as an index built afresh from the record store, and the same hits as before the kill.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import uuid

import pytest
import requests

from index import solr_admin
from index.errors import SearchUnavailable
from index.query import Facet, Query, language_facet
from index.solr_backend import SolrBackend
from tests.peers import solr_cluster

pytestmark = [pytest.mark.peer, pytest.mark.slow]

QUERIES = [Query(text="nordlys", limit=50), Query(sort="title", limit=200),
           Query(sort="newest", group=True, limit=50, group_limit=5, facets=(language_facet(10), Facet("library"))),
           Query(text="sápmi", limit=50)]
NOB = "tromso-trb-ill-nob-001"


def shape(result) -> dict:
    return {"total": result.total, "total_groups": result.total_groups, "hits": [h.id for h in result.hits],
            "groups": [(g.work_id, [e.id for e in g.editions]) for g in result.groups],
            "facets": {k: [(v.value, v.count) for v in vs] for k, vs in result.facets.items()}}


def everything(backend) -> dict:
    """Every document of an index by id (ungrouped, by title, pages of 1,000)."""
    docs, offset = {}, 0
    while True:
        hits = backend.search(Query(sort="title", limit=1000, offset=offset)).hits
        docs.update({h.id: h.document for h in hits})
        if len(hits) < 1000:
            return docs
        offset += 1000


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """A private copy of the demo (records, transform tables, graph), indexed into two new collections:
    `single` (one replica per shard: a node holds a shard alone) and `double` (every shard on both)."""
    from grenselos.demo import build
    from index.pipeline import index_changes
    urls = solr_cluster.nodes()
    settings, store = build(tmp_path_factory.mktemp("failover"), "http://127.0.0.1:5000", say=lambda *_: None)
    names = {"single": f"t_single_{uuid.uuid4().hex[:6]}", "double": f"t_double_{uuid.uuid4().hex[:6]}"}
    solr_admin.init(f"{urls[0]}/{names['single']}", shards=2, replicas=1)
    solr_admin.init(f"{urls[0]}/{names['double']}", shards=2, replicas=2)
    by_kind = {}
    for kind, name in names.items():
        search = dataclasses.replace(settings.search, solr_url=f"{urls[0]}/{name}",
                                     solr_urls=tuple(f"{u}/{name}" for u in urls[1:]), retry_seconds=0)
        by_kind[kind] = dataclasses.replace(settings, search=search)
        summary = index_changes(by_kind[kind], store)
        assert not summary.failed and summary.indexed > 30, summary.line()
    nodes_of_single = {r["node"] for r in solr_cluster.replicas(names["single"])}
    assert len(nodes_of_single) == 2, "each node should hold one shard of the single-replica collection"
    yield by_kind, store
    store.close()
    solr_cluster.wait_active(*names.values())
    for settings_ in by_kind.values():
        solr_admin.drop(settings_.search.solr_url)


def backend_for(settings) -> SolrBackend:
    return SolrBackend([settings.search.solr_url, *settings.search.solr_urls], timeout=30)


def portal(settings):
    from portal.app import create_app
    return create_app(settings, {"TESTING": True, "SECRET_KEY": "failover-test-key-" + "f" * 32}).test_client()


def record_pages(client, ids) -> dict:
    out = {}
    for record_id in ids:
        response = client.get(f"/api/record/{record_id}?lang=nb")
        assert response.status_code == 200, (record_id, response.status_code)
        page = response.get_json()
        page.pop("index_available")
        page["other_editions"] = sorted(page["other_editions"], key=lambda e: e["id"])
        page["related"] = sorted(page["related"], key=lambda e: e["id"])
        page["json_ld"].pop("exampleOfWork", None)
        out[record_id] = page
    return out


def degraded_search(client, url: str) -> None:
    """A search while a shard is down: 200 flagged partial, or 503 with Retry-After; never anything else."""
    response = client.get(url)
    assert response.status_code in (200, 503), (url, response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code == 503:
        assert response.headers["Retry-After"].isdigit()
        if response.mimetype == "application/json":
            assert response.get_json()["code"] == "search_unavailable"
    elif response.mimetype == "application/json":
        assert response.get_json()["partial"] is True
    else:
        assert 'class="notice"' in response.get_data(as_text=True)


def test_node_killed_mid_search(catalogue):
    by_kind, _store = catalogue
    single, double = backend_for(by_kind["single"]), backend_for(by_kind["double"])
    client = portal(by_kind["single"])
    before = {kind: [shape(b.search(q)) for q in QUERIES] for kind, b in (("single", single), ("double", double))}
    ids = sorted(everything(single))
    pages = record_pages(client, ids)
    assert client.get("/healthz").get_json()["stores"]["search"]["status"] == "ok"

    with solr_cluster.node_down(1):                         # the first configured node: failover is needed
        for phase in ("just killed", "gone from live_nodes"):
            if phase == "gone from live_nodes":
                solr_cluster.wait_gone(1)
            # Every shard still has a replica on node 2: the whole answer, nothing flagged.
            for q, expected in zip(QUERIES, before["double"]):
                result = double.search(q)
                assert shape(result) == expected and not result.partial, phase
            # One shard is gone: partial answers, flagged, or an outage; never a wrong complete answer.
            for q in QUERIES:
                try:
                    result = single.search(q)
                except SearchUnavailable:
                    continue
                assert result.partial and result.total < len(ids), phase
            for url in ("/search?q=nordlys", "/search?q=nordlys&lang=se", "/api/search?q=nordlys",
                        "/search.json?page_size=100", "/api/search?q=zzzqqq", "/language/sme", "/language/nob.json"):
                degraded_search(client, url)
            feed = client.get("/language/nob/feed.atom")               # never a partial feed, never a 500
            assert feed.status_code in (200, 503)
            assert record_pages(client, ids) == pages, phase     # served, from the index or the record store
            health = client.get("/healthz")
            search = health.get_json()["stores"]["search"]
            assert health.status_code == 200 and health.get_json()["status"] == "degraded", health.get_json()
            assert [n["status"] for n in search["nodes"]] == ["down", "ok"], (search, by_kind["single"].search)
            assert sorted(s["status"] for s in search["shards"]) == ["down", "ok"]
    solr_cluster.wait_active(by_kind["single"].search.solr_url.rsplit("/", 1)[1],
                             by_kind["double"].search.solr_url.rsplit("/", 1)[1])
    after = {kind: [shape(b.search(q)) for q in QUERIES] for kind, b in (("single", single), ("double", double))}
    assert after == before                                    # the same hits as before the kill
    assert client.get("/healthz").get_json()["status"] == "ok"


def _change_the_truth(store, withdraw_from: set[str]) -> tuple[list[str], str]:
    """Two records (of `withdraw_from`) withdrawn and one retitled in the record store; returns the
    withdrawn records' ids and the new title."""
    from harvest.store import IncomingRecord
    from index.from_store import TransformFacts, public_id
    rows = [r for r in store.iter_records(source="tromso", record_type="bib", include_deleted=False)]
    target = next(r for r in rows if r.identifier.endswith("trb-ill-nob-001"))
    title = "Nordlys over fjellet i mørketida"
    marcxml = re.sub(r'(<(?:marc:)?datafield tag="245"[^>]*>\s*<(?:marc:)?subfield code="a">)[^<]*', rf"\g<1>{title}",
                     target.marcxml, count=1)
    assert marcxml != target.marcxml
    store.upsert("tromso", [IncomingRecord(identifier=target.identifier, datestamp=target.datestamp, marcxml=marcxml,
                                           record_type=target.record_type, control_number=target.control_number,
                                           parent=target.parent)])
    minted = TransformFacts(store.engine).minted([(r.source, r.identifier) for r in rows])
    ids = {r.identifier: public_id(r, minted.get((r.source, r.identifier))) for r in rows}
    withdrawn = [r for r in rows if r is not target and ids[r.identifier] in withdraw_from][:2]
    gone = [ids[r.identifier] for r in withdrawn]
    assert len(gone) == 2
    store.mark_deleted("tromso", [r.identifier for r in withdrawn])
    return gone, title


def test_node_killed_mid_index_then_the_index_equals_the_truth(catalogue, tmp_path):
    from index.pipeline import index_changes
    from index.tantivy_backend import TantivyBackend
    by_kind, store = catalogue
    settings = by_kind["single"]                              # retry_seconds = 0: an outage ends the run
    backend = backend_for(settings)
    total = backend.count()
    # Records withdrawn from the shard on node 2: the run after the kill cannot finish without it.
    on_node_2 = requests.get(f"{solr_cluster.nodes()[1]}/{settings.search.solr_url.rsplit('/', 1)[1]}/select",
                             params={"q": "*:*", "distrib": "false", "fl": "record_id", "rows": 1000, "wt": "json"},
                             timeout=30).json()["response"]["docs"]
    gone, title = _change_the_truth(store, {d["record_id"] for d in on_node_2})
    from transform.pipeline import run_transform
    run_transform(settings, store, progress=False)             # the index projects what the transform stage wrote

    class KilledMidRun(SolrBackend):
        """The real backend; node 2 is killed (SIGKILL) right after the run's 5th commit."""
        commits = 0

        def commit(self):
            super().commit()
            self.commits += 1
            if self.commits == 5:
                solr_cluster.kill(2)

    midway = KilledMidRun([settings.search.solr_url, *settings.search.solr_urls], timeout=30)
    patient = dataclasses.replace(settings, search=dataclasses.replace(settings.search, retry_seconds=240))
    result = {}
    try:
        failed = index_changes(settings, store, midway, full=True, batch=2)
        assert failed.failed and "Solr" in failed.failed and midway.commits >= 5, failed.line()
        assert 10 <= failed.indexed < total                   # stopped part-way; what it sent is recorded
        # The next run, still during the outage, waits for the node instead of failing.
        run = threading.Thread(target=lambda: result.update(summary=index_changes(patient, store)))
        run.start()
        time.sleep(4)
        assert run.is_alive()
    finally:
        solr_cluster.start(2)                                 # same port, same data: it rejoins
    run.join(timeout=300)
    summary = result["summary"]
    assert not summary.failed and summary.waited > 0 and summary.deleted == 2, summary.line()
    solr_cluster.wait_active(settings.search.solr_url.rsplit("/", 1)[1])

    # The truth: an index built afresh from the record store.
    truth_settings = dataclasses.replace(settings, search=dataclasses.replace(settings.search, solr_url="",
                                                                             solr_urls=()),
                                         data_dir=tmp_path)
    with TantivyBackend(tmp_path / "truth", writer_threads=1, writer_heap=50_000_000) as truth:
        assert not index_changes(truth_settings, store, truth, full=True).failed
        expected = everything(truth)
    indexed = everything(backend)
    assert set(indexed) == set(expected), set(indexed) ^ set(expected)
    assert backend.count() == len(expected) == len(indexed)
    differing = {k: {f: (getattr(indexed[k], f), getattr(expected[k], f)) for f in indexed[k].__dataclass_fields__
                     if getattr(indexed[k], f) != getattr(expected[k], f)} for k in indexed if indexed[k] != expected[k]}
    assert indexed == expected, differing                     # the same documents, field for field
    assert not set(gone) & set(indexed)
    hits = backend.search(Query(text="fjellet mørketida")).hits
    assert [h.document.title for h in hits] == [title] and hits[0].id == NOB
